// inspect_app — progressive enhancements only; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-autofocus]");
  if (summary) summary.focus();

  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });

  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = button.dataset.copied || button.textContent;
    });
  });

  document.querySelectorAll("[data-filter-list]").forEach((input) => {
    const list = document.getElementById(input.dataset.filterList);
    if (!list) return;
    const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
    input.addEventListener("input", () => {
      const term = fold(input.value.trim());
      list.querySelectorAll("li").forEach((item) => {
        item.hidden = term !== "" && !fold(item.textContent).includes(term);
      });
    });
  });

  setUpSwitch("[data-location-switch]", "data-location");
  setUpSwitch("[data-identity-switch]", "data-identity");
  setUpWardSelect();
  setUpCounters();
  setUpSelectAll();
  openWideSections();
  setUpDrafts();
  setUpUnreadPoll();
});

// "Select all on this page" ticks every case of the page (without script the server
// takes the page's cases itself); the bulk button shows how many are selected.
function setUpSelectAll() {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const all = form.querySelector("[data-select-all]");
  const boxes = () => document.querySelectorAll('input[form="bulk-form"][type="checkbox"]');
  const badge = form.querySelector("[data-selected-count]");
  const update = () => {
    const ticked = [...boxes()].filter((box) => box.checked).length;
    if (badge) {
      badge.textContent = String(ticked);
      badge.hidden = ticked === 0;
    }
    if (all) all.checked = ticked > 0 && ticked === boxes().length;
  };
  if (all) {
    all.addEventListener("change", () => {
      boxes().forEach((box) => { box.checked = all.checked; });
      update();
    });
  }
  boxes().forEach((box) => box.addEventListener("change", update));
  update();
}

// Sections folded to keep a phone's page short stand open on wide screens.
function openWideSections() {
  if (!window.matchMedia("(min-width: 960px)").matches) return;
  document.querySelectorAll("details[data-open-wide]").forEach((section) => { section.open = true; });
}

// The unread count in the header, asked again every minute while the page is in
// view (one small JSON request; no page reload).
function setUpUnreadPoll() {
  const link = document.querySelector("[data-unread-url]");
  if (!link || !window.fetch) return;
  const count = link.querySelector("[data-unread-count]");
  const every = Number(link.dataset.pollSeconds || 60) * 1000;
  const ask = async () => {
    if (document.visibilityState !== "visible") return;
    try {
      const response = await fetch(link.dataset.unreadUrl, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!response.ok || !(response.headers.get("Content-Type") || "").includes("json")) return;
      const body = await response.json();
      count.textContent = String(body.unread);
      count.classList.toggle("is-zero", body.unread === 0);
    } catch (error) { /* offline: try again next time */ }
  };
  setInterval(ask, every);
  document.addEventListener("visibilitychange", ask);
}

// Show the sections whose attribute matches the checked radio button of a group.
function setUpSwitch(groupSelector, attribute) {
  const group = document.querySelector(groupSelector);
  if (!group) return;
  const form = group.closest("form");
  const update = () => {
    const checked = group.querySelector("input:checked");
    form.querySelectorAll(`[${attribute}]`).forEach((section) => {
      section.hidden = !checked || section.getAttribute(attribute) !== checked.value;
    });
  };
  group.addEventListener("change", update);
  update();
}

// Province -> ward dependent select; without JS the form offers a reload button.
function setUpWardSelect() {
  const province = document.getElementById("province");
  const ward = document.getElementById("ward");
  if (!province || !ward) return;
  province.addEventListener("change", () => loadWardOptions(province.value, ward));
  // On a slow network the province may be chosen before this script runs: its change
  // event is gone, so an empty ward list for a chosen province is filled now.
  if (![...ward.options].some((option) => option.value && option.value !== "None")) {
    loadWardOptions(province.value, ward);
  }
}

// Fills the ward list for a province (report.js uses it too when it restores a form).
// Only the answer to the latest request is kept, so quick changes never mix two lists.
async function loadWardOptions(province, ward, chosen = "") {
  const request = String(Number(ward.dataset.wardRequest || 0) + 1);
  ward.dataset.wardRequest = request;
  const placeholder = ward.options[0] ? ward.options[0].cloneNode(true) : new Option("—", "");
  ward.replaceChildren(placeholder);
  if (!province || province === "None") return;
  try {
    const response = await fetch(`/geo/provinces/${encodeURIComponent(province)}/wards`);
    if (!response.ok) return;
    const wards = await response.json();
    if (ward.dataset.wardRequest !== request) return;
    wards.forEach((item) => ward.append(new Option(item.name, item.code)));
    ward.value = chosen;
  } catch (error) { /* offline: the person chooses again */ }
}

function setUpCounters() {
  document.querySelectorAll("[data-counter-for]").forEach((counter) => {
    const field = document.getElementById(counter.dataset.counterFor);
    if (!field) return;
    const max = Number(field.getAttribute("maxlength")) || 0;
    const update = () => { counter.textContent = max ? `${field.value.length} / ${max}` : ""; };
    field.addEventListener("input", update);
    update();
  });
}

// Drafts of long text fields, kept in this browser while typing and offered back
// after a crash or a closed tab. They never leave the device: localStorage only,
// per officer and page; removed when the form is sent and, all of them, on logout.
function setUpDrafts() {
  const user = document.body.dataset.user;
  const strings = document.getElementById("draft-strings");
  if (!user || !strings || !window.localStorage) return;
  const all = "draft:v1:";
  const mine = `${all}${user}:`;
  const store = {
    get(key) {
      try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (error) { return null; }
    },
    set(key, value) {
      try { localStorage.setItem(key, JSON.stringify(value)); } catch (error) { /* full or off */ }
    },
    remove(key) {
      try { localStorage.removeItem(key); } catch (error) { /* off */ }
    },
  };
  document.querySelectorAll("form[data-logout]").forEach((form) => {
    form.addEventListener("submit", () => {
      Object.keys(localStorage).filter((key) => key.startsWith(all)).forEach(store.remove);
    });
  });
  document.querySelectorAll("form[data-draft-form] textarea").forEach((field) => {
    const form = field.form;
    const key = `${mine}${location.pathname}:${form.getAttribute("action") || ""}:${field.name}`;
    let timer = null;
    const save = () => {
      if (field.value.trim()) store.set(key, { text: field.value, at: Date.now() });
      else store.remove(key);
    };
    field.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(save, 400);
    });
    form.addEventListener("submit", () => {
      clearTimeout(timer);
      store.remove(key);
    });
    const kept = store.get(key);
    if (!kept || !kept.text || field.value.trim()) return;
    offerDraft(field, kept, strings, () => store.remove(key));
  });
}

function offerDraft(field, kept, strings, discard) {
  const when = new Date(kept.at);
  const pad = (n) => String(n).padStart(2, "0");
  const stamp = `${pad(when.getHours())}:${pad(when.getMinutes())} ${pad(when.getDate())}/${pad(when.getMonth() + 1)}/${when.getFullYear()}`;
  const box = document.createElement("div");
  box.className = "draft-offer";
  box.setAttribute("role", "status");
  const text = document.createElement("p");
  text.textContent = strings.dataset.offer.replace("%(when)s", stamp);
  const restore = document.createElement("button");
  restore.type = "button";
  restore.className = "button";
  restore.textContent = strings.dataset.restore;
  const drop = document.createElement("button");
  drop.type = "button";
  drop.className = "button";
  drop.textContent = strings.dataset.discard;
  restore.addEventListener("click", () => {
    field.value = kept.text;
    field.dispatchEvent(new Event("input"));
    box.remove();
    field.focus();
  });
  drop.addEventListener("click", () => {
    discard();
    box.remove();
  });
  const row = document.createElement("div");
  row.className = "button-row";
  row.append(restore, drop);
  box.append(text, row);
  field.before(box);
  const panel = field.closest("details");
  if (panel) panel.open = true;
}
