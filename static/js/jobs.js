// The progress page of a background job: asks for its state every second, moves the bar, and
// goes to the result when the job is done (or shows why it failed). No inline script: the CSP
// forbids it. Without JavaScript the page reloads itself instead (<noscript> refresh).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.querySelector("[data-status-url]");
  if (!box) {
    return;
  }
  const url = box.dataset.statusUrl;
  const every = Number(box.dataset.pollMs) || 1000;
  const part = (name) => box.querySelector(`[data-job="${name}"]`);
  const sameSite = (target) =>
    typeof target === "string" && target.startsWith("/") && !target.startsWith("//");

  const show = (state) => {
    part("status_label").textContent = state.status_label;
    const bar = part("bar");
    if (state.percent === null) {
      bar.removeAttribute("value"); // an indeterminate bar while the amount of work is unknown
      part("percent").textContent = "";
    } else {
      bar.value = state.percent;
      part("percent").textContent = `${state.percent}%`;
    }
    part("counts").textContent = state.total
      ? `${state.done.toLocaleString()} / ${state.total.toLocaleString()}`
      : "";
    part("message").textContent = state.message || "";
    part("note").textContent = state.note || "";
    part("note").hidden = !state.note;
    part("error").textContent = state.error || "";
    part("error").hidden = !state.error;
    part("finished").hidden = !state.finished;
    part("hint").hidden = state.finished;
  };

  const poll = async () => {
    let wait = every;
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      if (response.ok) {
        const state = await response.json();
        show(state);
        if (state.finished) {
          if (state.status === "done" && sameSite(state.result)) {
            window.location.assign(state.result);
          }
          return;
        }
      } else {
        wait = every * 5; // signed out, or the server is busy: ask less often
      }
    } catch (error) {
      wait = every * 5; // the network or the server is away for a moment
    }
    window.setTimeout(poll, wait);
  };
  window.setTimeout(poll, every);
});
