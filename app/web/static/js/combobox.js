/**
 * Type-ahead over a <select data-combobox>: the select stays in the form (it is what is sent, and what
 * works without this script); a text field with a list of matches takes its place on screen. Matches
 * the Chinese and English names and the code of each option (路樹, tree, fallen_tree). ARIA 1.2
 * combobox: ↓/↑ move, Enter chooses, Esc closes, Tab keeps the highlighted match.
 */

import { announce, el, t } from "./console-common.js";

const MAX_SHOWN = 12;

function fold(text) {
  return (text ?? "").normalize("NFKC").toLowerCase().replace(/[\s_]+/g, "");
}

export function enhanceSelect(select, announcer) {
  const id = select.id;
  const options = [...select.options]
    .filter((option) => option.value)
    .map((option) => ({
      value: option.value,
      name: option.textContent.trim(),
      zh: option.dataset.zh ?? "",
      en: option.dataset.en ?? "",
      keys: [option.textContent, option.dataset.zh, option.dataset.en, option.value].map(fold),
    }));
  const input = el("input", {
    type: "text",
    id,
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": `${id}-list`,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": select.getAttribute("aria-describedby"),
    "aria-invalid": select.getAttribute("aria-invalid"),
  });
  const list = el("ul", { id: `${id}-list`, role: "listbox", class: "combo-list", hidden: "" });
  const label = document.querySelector(`label[for="${id}"]`);
  if (label) list.setAttribute("aria-label", label.textContent.trim());
  select.id = `${id}-select`;
  select.hidden = true;
  select.tabIndex = -1;
  select.removeAttribute("autofocus");
  const box = el("div", { class: "combo" }, input, list);
  select.before(box);

  let shown = [];
  let active = -1;
  let typed = false; // the text was typed since the last choice: Tab or leaving keeps the highlighted match

  const chosen = () => options.find((option) => option.value === select.value);
  const showChosen = () => {
    input.value = chosen()?.name ?? "";
  };

  function render() {
    list.replaceChildren(...shown.map((option, index) => el(
      "li",
      {
        id: `${id}-option-${index}`,
        role: "option",
        "aria-selected": index === active ? "true" : "false",
        class: index === active ? "active" : null,
        "data-value": option.value,
      },
      el("span", { class: "combo-name" }, option.name),
      el("span", { class: "combo-other", lang: option.name === option.en ? "zh-Hant-TW" : "en" },
        option.name === option.en ? option.zh : option.en),
      el("span", { class: "combo-code", lang: "en" }, option.value),
    )));
    const open = shown.length > 0;
    list.hidden = !open;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", `${id}-option-${active}`);
      document.getElementById(`${id}-option-${active}`)?.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function filter(text) {
    const wanted = fold(text);
    const starts = [];
    const contains = [];
    for (const option of options) {
      if (!wanted || option.keys.some((key) => key.startsWith(wanted))) starts.push(option);
      else if (option.keys.some((key) => key.includes(wanted))) contains.push(option);
    }
    shown = [...starts, ...contains].slice(0, MAX_SHOWN);
    active = shown.length ? 0 : -1;
    render();
    announce(announcer, shown.length ? t("combo.matches", { count: shown.length, first: shown[0].name }) : t("combo.no_match"));
  }

  function close() {
    shown = [];
    active = -1;
    render();
  }

  function choose(option) {
    typed = false;
    select.value = option ? option.value : "";
    showChosen();
    close();
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function settle() {
    if (!typed) return;
    const wanted = fold(input.value);
    if (active >= 0 && shown.length) choose(shown[active]);
    else if (!wanted) choose(null);
    else {
      const exact = options.find((option) => option.keys.includes(wanted));
      if (exact) choose(exact);
      else close(); // what was typed stays in the field; the form says it is not a choice
    }
  }

  input.addEventListener("input", () => {
    typed = true;
    if (select.value) {
      select.value = "";
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    filter(input.value);
  });
  input.addEventListener("keydown", (event) => {
    const open = !list.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!open) {
        typed = true;
        filter(select.value ? "" : input.value);
        return;
      }
      const step = event.key === "ArrowDown" ? 1 : -1;
      active = (active + step + shown.length) % shown.length;
      render();
    } else if (event.key === "Enter" && !event.ctrlKey && open && active >= 0) {
      event.preventDefault();
      choose(shown[active]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === "Tab") {
      settle();
    }
  });
  input.addEventListener("blur", () => {
    settle();
    close();
  });
  list.addEventListener("mousedown", (event) => {
    event.preventDefault(); // keep focus in the field
    const item = event.target.closest("li[data-value]");
    if (item) choose(options.find((option) => option.value === item.dataset.value));
  });
  // A value set from outside (a restored draft) shows in the field too.
  select.addEventListener("change", () => {
    if (!typed) showChosen();
  });

  showChosen();
  return input;
}
