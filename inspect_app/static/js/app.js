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
  province.addEventListener("change", async () => {
    const placeholder = ward.options[0] ? ward.options[0].cloneNode(true) : new Option("—", "");
    ward.replaceChildren(placeholder);
    if (!province.value || province.value === "None") return;
    const response = await fetch(`/geo/provinces/${encodeURIComponent(province.value)}/wards`);
    if (!response.ok) return;
    for (const item of await response.json()) {
      ward.append(new Option(item.name, item.code));
    }
  });
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
