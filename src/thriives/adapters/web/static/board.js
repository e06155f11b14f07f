// thriives live board and dispatch panel: clocks that count down in the browser, panels that
// refresh from the board's event stream at most about once a second, and a few keys. Without
// this file the pages still show everything as of their loading (reload to refresh).
(function () {
  "use strict";
  let offset = 0; // the server's clock minus this browser's, so clocks agree with the server

  function syncClock() {
    const marked = document.querySelector("[data-server-now]");
    if (marked) offset = Date.parse(marked.dataset.serverNow) - Date.now();
  }

  // The same words as countdown() in dispatch_pages.py: "12:05 left", "1:02:09 over".
  function countdown(ms) {
    const whole = Math.floor(Math.abs(ms) / 1000);
    const hours = Math.floor(whole / 3600), minutes = Math.floor((whole % 3600) / 60), seconds = whole % 60;
    const two = (n) => String(n).padStart(2, "0");
    const text = hours ? `${hours}:${two(minutes)}:${two(seconds)}` : `${minutes}:${two(seconds)}`;
    return ms > 0 ? `${text} left` : `${text} over`;
  }

  function tick() {
    const now = Date.now() + offset;
    for (const clock of document.querySelectorAll(".clock[data-due-at]")) {
      const due = Date.parse(clock.dataset.dueAt), risk = Date.parse(clock.dataset.atRiskAt);
      const state = now >= due ? "breached" : now >= risk ? "at_risk" : "running";
      clock.textContent = countdown(due - now);
      if (clock.dataset.state !== state) {
        clock.classList.remove(`c-${clock.dataset.state}`);
        clock.classList.add(`c-${state}`);
        clock.dataset.state = state;
        const row = clock.closest("tr[data-clock]");
        if (row) row.dataset.clock = state;
      }
    }
    // An ungraded call's grading clock: the same words as grading_words() in dispatch_pages.py.
    for (const clock of document.querySelectorAll(".gclock[data-due-at]")) {
      const left = Date.parse(clock.dataset.dueAt) - now;
      const state = left > 0 ? "running" : "late";
      const text = countdown(left).replace(/ (left|over)$/, "");
      clock.textContent = left > 0 ? `grade within ${text}` : `grading late by ${text}`;
      if (clock.dataset.state !== state) {
        clock.classList.remove(`g-${clock.dataset.state}`);
        clock.classList.add(`g-${state}`);
        clock.dataset.state = state;
        const row = clock.closest("tr[data-grading]");
        if (row) row.dataset.grading = state;
      }
    }
    // Recount only when every row is on the page: a panel that says "and N more" keeps the
    // server's count (which includes the rows not shown) until its next refresh.
    const whole = !document.querySelector("#board-queue tr.more, #board-held tr.more");
    const gradingLate = document.getElementById("count-grading-late");
    if (gradingLate && whole) gradingLate.textContent = String(document.querySelectorAll('#board-queue .gclock[data-state="late"]').length);
    for (const [id, state] of [["count-breached", "breached"], ["count-at-risk", "at_risk"]]) {
      const count = document.getElementById(id);
      if (count && whole) {
        const selector = `#board-queue .clock[data-state="${state}"], #board-held .clock[data-state="${state}"]`;
        count.textContent = String(document.querySelectorAll(selector).length);
      }
    }
  }

  if (window.thriivesLivePanels) window.thriivesLivePanels("board-panels"); // static/live_panels.js
  document.addEventListener("htmx:afterSwap", () => { syncClock(); tick(); });

  // Dispatch panel: the reason is required when the unit chosen is not the first recommended;
  // keys 1 to 9 choose a recommended unit (outside text fields).
  function reasonRule() {
    const form = document.getElementById("assign-form");
    if (!form) return;
    const other = form.querySelector("#other_call_sign").value.trim();
    const picked = form.querySelector("input[name=call_sign]:checked");
    const chosen = other || (picked ? picked.value : "");
    const first = form.dataset.first;
    form.querySelector("#assign-reason").required = Boolean(first) && chosen !== "" && chosen !== first;
  }
  document.addEventListener("input", reasonRule);
  document.addEventListener("change", reasonRule);
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || !/^[1-9]$/.test(event.key)) return;
    const target = event.target;
    if (target.matches && target.matches("input:not([type=radio]):not([type=checkbox]), textarea, select")) return;
    const radio = document.querySelector(`#assign-form input[data-key="${event.key}"]`);
    if (!radio) return;
    event.preventDefault();
    radio.checked = true;
    radio.focus();
    reasonRule();
  });

  function start() {
    syncClock();
    tick();
    reasonRule();
    setInterval(tick, 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
