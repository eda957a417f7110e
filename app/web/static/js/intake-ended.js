/**
 * The call has ended: the case number is focused and said once (a screen reader reads it to the agent,
 * who reads it to the caller), and the call's draft is dropped from this tab.
 */

import { announce, data } from "./console-common.js";

try {
  sessionStorage.removeItem(`intake-draft:${data.user_id}:${data.call_id}`);
} catch {
  // Storage unavailable: there was no draft either.
}

const number = document.getElementById("case-number");
const announcer = document.getElementById("ended-announcer");
(number ?? document.getElementById("next-call"))?.focus();
announce(announcer, announcer?.dataset.text);
