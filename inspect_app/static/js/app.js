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
});

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
