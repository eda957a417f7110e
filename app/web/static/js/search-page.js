/**
 * The search results by keyboard: j or ↓ to the next case, k or ↑ to the previous one, Enter opens it (each
 * row's case number is a link), / back to the query. From the query field, ↓ goes to the first result.
 */

function links() {
  return [...document.querySelectorAll("#results .result-link")];
}

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function move(step) {
  const all = links();
  if (!all.length) return false;
  const at = all.indexOf(document.activeElement);
  const next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(at + step, 0), all.length - 1);
  all[next].focus();
  all[next].closest("tr")?.scrollIntoView({ block: "nearest" });
  return true;
}

const query = document.getElementById("q");

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
  if (event.target === query && event.key === "ArrowDown") {
    if (move(1)) event.preventDefault();
    return;
  }
  if (typing(event.target)) return;
  if (event.key === "/") {
    event.preventDefault();
    query.focus();
    query.select();
    return;
  }
  // The arrows move between results only from a result: elsewhere they scroll the page as usual.
  const onResult = links().includes(document.activeElement);
  const step = { j: 1, k: -1, ...(onResult ? { ArrowDown: 1, ArrowUp: -1 } : {}) }[event.key];
  if (step && move(step)) event.preventDefault();
});
