/**
 * The knowledge base's keys: `/` jumps to the search field (outside a text field), and the arrow keys
 * move between the results (from the search field, ↓ goes to the first). Enter opens the one in focus.
 */

const search = document.getElementById("q");
const results = () => Array.from(document.querySelectorAll("a[data-result]"));

function typing(target) {
  return target instanceof HTMLElement
    && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "/" && search && !typing(event.target)) {
    event.preventDefault();
    search.focus();
    search.select();
    return;
  }
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const links = results();
  if (links.length === 0) return;
  const at = links.indexOf(event.target);
  if (event.target === search && event.key === "ArrowDown") {
    event.preventDefault();
    links[0].focus();
  } else if (at >= 0) {
    event.preventDefault();
    const next = event.key === "ArrowDown" ? at + 1 : at - 1;
    if (next < 0) search?.focus();
    else links[Math.min(next, links.length - 1)].focus();
  }
});
