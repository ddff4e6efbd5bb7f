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

  // Filter forms with select boxes apply as soon as a choice changes.
  document.querySelectorAll("form.filters select").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });
});
