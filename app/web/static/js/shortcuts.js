/**
 * Keyboard shortcuts shared by every console page: `?` opens the list of keys (a <dialog> the page
 * renders), Alt+Shift+letter opens a page of the menu. Single keys are ignored while the user types
 * in a field, so that `?` can be typed into a description.
 */

function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

function openHelp() {
  const dialog = document.getElementById("shortcuts-help");
  if (dialog && !dialog.open) dialog.showModal();
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey) return;
  if (event.altKey && event.shiftKey && /^Key[A-Z]$/.test(event.code)) {
    const letter = event.code.slice(3);
    const link = document.querySelector(`.main-nav a[data-shortcut="${letter}" i]`);
    if (link) {
      event.preventDefault();
      link.click();
    }
    return;
  }
  if (event.key === "?" && !event.altKey && !typing(event.target)) {
    event.preventDefault();
    openHelp();
  }
});

document.getElementById("shortcuts-open")?.addEventListener("click", openHelp);
