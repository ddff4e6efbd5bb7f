// Baogong's only script: progressive enhancements, no inline handlers (the CSP forbids them).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Buttons that change something important ask first.
  document.addEventListener("submit", (event) => {
    const button = event.submitter;
    const message = button && button.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Parts of a form that only some choices need (data-kinds="a b" next to a select#kind) are
  // shown for those choices only; without the script everything stays visible.
  const kind = document.querySelector("select#kind");
  if (kind) {
    const parts = document.querySelectorAll("[data-kinds]");
    const show = () => {
      parts.forEach((part) => {
        part.hidden = !part.dataset.kinds.split(" ").includes(kind.value);
      });
    };
    kind.addEventListener("change", show);
    show();
  }

  // Filter forms with select boxes apply as soon as a choice changes.
  document.querySelectorAll("form.filters select").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
});
