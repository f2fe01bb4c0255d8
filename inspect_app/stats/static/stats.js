// Statistics: on the build form, show only the fields of the chosen kind of period.
// Progressive: without this file every field is shown and the server ignores the rest.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const group = document.querySelector("[data-period-switch]");
  if (!group) return;
  const form = group.closest("form");
  const update = () => {
    const checked = group.querySelector("input:checked");
    form.querySelectorAll("[data-period]").forEach((section) => {
      const kinds = section.dataset.period.split(" ");
      section.hidden = checked !== null && !kinds.includes(checked.value);
    });
  };
  group.addEventListener("change", update);
  update();
});
