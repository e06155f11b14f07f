// thriives live board and dispatch panel: clocks that count down in the browser, panels that
// refresh from the board's event stream at most about once a second, and a few keys. Without
// this file the pages still show everything as of their loading (reload to refresh).
(function () {
  "use strict";
  const GAP_MS = 1000; // the most often the board is fetched again, however busy the stream
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
    for (const [id, state] of [["count-breached", "breached"], ["count-at-risk", "at_risk"]]) {
      const count = document.getElementById(id);
      if (count) {
        const selector = `#board-queue .clock[data-state="${state}"], #board-held .clock[data-state="${state}"]`;
        count.textContent = String(document.querySelectorAll(selector).length);
      }
    }
  }

  // A frame says only that something changed: fetch the panels again, at once if the last
  // fetch was a second ago, else when that second is up; never two fetches at a time, and
  // a change that arrives during a fetch is fetched after it, so none is missed.
  let timer = null, busy = false, again = false, last = 0;
  function schedule() {
    if (busy) { again = true; return; }
    if (timer) return;
    timer = setTimeout(refresh, Math.max(0, last + GAP_MS - Date.now()));
  }
  function refresh() {
    timer = null;
    const panels = document.getElementById("board-panels");
    if (!panels || !window.htmx) return;
    busy = true;
    last = Date.now();
    const done = () => {
      busy = false;
      if (again) { again = false; schedule(); }
    };
    htmx.ajax("GET", panels.dataset.refresh, { target: panels, swap: "innerHTML" }).then(done, done);
  }
  document.addEventListener("sse:board", (event) => {
    let kinds = ["unknown"];
    try { kinds = JSON.parse(event.detail.data).events.map((e) => String(e.kind)); } catch (_) { /* refresh */ }
    if (kinds.some((kind) => !kind.startsWith("intel."))) schedule(); // searches change nothing here
  });
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
