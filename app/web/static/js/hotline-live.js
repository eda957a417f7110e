/**
 * Live pushes for the hotline consoles: one Socket.IO connection with the console's login
 * session, resumed after every disconnect from the last event id seen.
 *
 *   import { connectLive } from "/web/static/js/hotline-live.js";
 *   const live = await connectLive({ onEvent, onCounters, onReload, onAlert, onStatus });
 *
 * The server replays what was missed since `last_event_id` (sent on every connect), then says
 * `ready`; a client too far behind gets `reload` and must fetch its state over HTTP. Events
 * come in id order, except `late` ones, which the caller inserts by id; repeats are dropped here.
 */

const DEFAULT_CLIENT = new URL("../vendor/socket.io.min.js", import.meta.url).href;
const RECENT_EVENTS = 5000; // ids remembered for de-duplication: far more than one replay holds
const RECENT_ALERTS = 500;
const RATE_LIMIT_RETRY_MS = 5000;

let clientLoading = null;

/** Load the vendored Socket.IO client (a classic script that defines `io`) once per page. */
export function loadSocketIo(src = DEFAULT_CLIENT) {
  if (typeof globalThis.io === "function") return Promise.resolve(globalThis.io);
  if (!clientLoading) {
    clientLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => (typeof globalThis.io === "function"
        ? resolve(globalThis.io)
        : reject(new Error(`${src} did not define io`)));
      script.onerror = () => {
        clientLoading = null; // let a later call try again
        reject(new Error(`could not load ${src}`));
      };
      document.head.append(script);
    });
  }
  return clientLoading;
}

/** A set of the most recent ids, forgetting the oldest beyond `limit`. */
export class RecentIds {
  constructor(limit) {
    this.limit = limit;
    this.ids = new Set();
  }

  has(id) {
    return this.ids.has(id);
  }

  add(id) {
    this.ids.add(id);
    if (this.ids.size > this.limit) {
      // A Set iterates in insertion order: the first is the oldest.
      this.ids.delete(this.ids.values().next().value);
    }
  }
}

/** The last event id kept for this tab, or null (storage may be unavailable or hold junk). */
export function readWatermark(storage, key) {
  try {
    const raw = storage?.getItem(key);
    const value = raw === null || raw === undefined ? NaN : Number(raw);
    return Number.isSafeInteger(value) && value >= 0 ? value : null;
  } catch {
    return null;
  }
}

function writeWatermark(storage, key, value) {
  try {
    storage?.setItem(key, String(value));
  } catch {
    // Private mode or a full quota: the watermark lives on in memory for this page.
  }
}

const ignore = () => {};

/** The server's reason for refusing a connection: {code, message}, either possibly null. */
export function refusal(error) {
  const data = error?.data;
  if (data && typeof data === "object") {
    return { code: data.code ?? null, message: data.message ?? error.message ?? null };
  }
  // Without structured data the reason travels only inside the error's text.
  const code = /\b(realtime\.[a-z_]+)\b/.exec(String(error?.message ?? ""))?.[1] ?? null;
  return { code, message: null };
}

/**
 * Connect with the login session's cookie, resuming from the tab's watermark (sessionStorage) or
 * `initialLastEventId`. Callbacks:
 *   onEvent(event)      a new event (de-duplicated by id; `event.late` may carry a lower id)
 *   onCounters(counts)  the live counters
 *   onReload(message)   too far behind: fetch the state again over HTTP
 *   onAlert(alert)      an urgent alert (de-duplicated by alert_id)
 *   onReady(message)    the replay is done; live events follow (called before onStatus("connected"))
 *   onStatus(state, detail)  "connecting" | "connected" | "reconnecting" | "offline" | "refused"
 * Returns { socket, lastSeen(), close() }.
 */
export async function connectLive({
  onEvent = ignore,
  onCounters = ignore,
  onReload = ignore,
  onAlert = ignore,
  onReady = ignore,
  onStatus = ignore,
  storageKey = "hotline-live:last-event-id",
  initialLastEventId = null,
  storage = globalThis.sessionStorage,
  url = undefined,
  clientSrc = DEFAULT_CLIENT,
} = {}) {
  const io = await loadSocketIo(clientSrc);
  // The tab's own watermark first (a page reload resumes from it), else the page's, read when it was rendered.
  let lastSeen = readWatermark(storage, storageKey)
    ?? (Number.isSafeInteger(initialLastEventId) && initialLastEventId >= 0 ? initialLastEventId : null);
  const seenEvents = new RecentIds(RECENT_EVENTS);
  const seenAlerts = new RecentIds(RECENT_ALERTS);
  let state = null;

  const setStatus = (next, detail = null) => {
    if (next === state && detail === null) return;
    state = next;
    onStatus(next, detail);
  };
  const remember = (id) => {
    lastSeen = id;
    writeWatermark(storage, storageKey, id);
  };
  const advance = (id) => {
    if (Number.isSafeInteger(id) && (lastSeen === null || id > lastSeen)) remember(id);
  };

  const socket = io(url, {
    // A function, so every reconnect sends the watermark as it is then, not as it was at first.
    auth: (cb) => cb(lastSeen === null ? {} : { last_event_id: lastSeen }),
    withCredentials: true,
  });

  setStatus("connecting");
  socket.on("ready", (message) => {
    advance(message?.last_event_id);
    onReady(message);
    setStatus("connected");
  });
  socket.on("event", (event) => {
    if (!event || !Number.isSafeInteger(event.id) || seenEvents.has(event.id)) return;
    seenEvents.add(event.id);
    advance(event.id);
    onEvent(event);
  });
  socket.on("reload", (message) => {
    // Taken as given, even if lower than ours: the server's history is the truth (it may have been reset).
    if (Number.isSafeInteger(message?.last_event_id)) remember(message.last_event_id);
    onReload(message);
  });
  socket.on("rebalance", (message) => {
    // A web process with more than its share of consoles asks some to reconnect (after a peer came back):
    // at a random moment within the window, resuming from the watermark, so the replay misses nothing.
    const within = Number.isFinite(message?.within_ms) ? message.within_ms : 2000;
    setTimeout(() => {
      socket.disconnect();
      socket.connect();
      setStatus("reconnecting");
    }, Math.random() * within);
  });
  socket.on("counters", (counts) => onCounters(counts));
  socket.on("alert", (alert) => {
    const id = alert?.alert_id;
    if (id !== undefined && id !== null) {
      if (seenAlerts.has(id)) return;
      seenAlerts.add(id);
    }
    onAlert(alert);
  });
  socket.on("disconnect", () => {
    if (!navigator.onLine) setStatus("offline");
    else setStatus(socket.active ? "reconnecting" : "offline");
  });
  socket.on("connect_error", (error) => {
    if (socket.active) {
      // Socket.IO retries by itself with backoff: a network failure, not a refusal.
      setStatus(navigator.onLine ? "reconnecting" : "offline");
      return;
    }
    const detail = refusal(error);
    setStatus("refused", detail);
    if (detail.code === "realtime.rate_limited") {
      setTimeout(() => socket.connect(), RATE_LIMIT_RETRY_MS + Math.random() * RATE_LIMIT_RETRY_MS);
    }
  });

  const wentOffline = () => setStatus("offline");
  const cameOnline = () => {
    if (socket.connected) return;
    // Skip what is left of the backoff delay: reconnect as soon as the network is back.
    socket.disconnect();
    socket.connect();
    setStatus("reconnecting");
  };
  globalThis.addEventListener?.("offline", wentOffline);
  globalThis.addEventListener?.("online", cameOnline);

  return {
    socket,
    lastSeen: () => lastSeen,
    close() {
      globalThis.removeEventListener?.("offline", wentOffline);
      globalThis.removeEventListener?.("online", cameOnline);
      socket.disconnect();
    },
  };
}
