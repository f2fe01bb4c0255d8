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
});
