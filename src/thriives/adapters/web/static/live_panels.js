// thriives live panels: a page's panels fetched again when the board's event stream says
// something changed, at most about once a second, never two fetches at a time, and a change
// that arrives during a fetch is fetched after it, so none is missed. Used by the board and
// the supervisor's live view: thriivesLivePanels("board-panels").
(function () {
  "use strict";
  const GAP_MS = 1000; // the most often the panels are fetched again, however busy the stream

  window.thriivesLivePanels = function (panelsId) {
    let timer = null, busy = false, again = false, last = 0;
    function schedule() {
      if (busy) { again = true; return; }
      if (timer) return;
      timer = setTimeout(refresh, Math.max(0, last + GAP_MS - Date.now()));
    }
    function refresh() {
      timer = null;
      const panels = document.getElementById(panelsId);
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
      if (!document.getElementById(panelsId)) return;
      let kinds = ["unknown"];
      try { kinds = JSON.parse(event.detail.data).events.map((e) => String(e.kind)); } catch (_) { /* refresh */ }
      if (kinds.some((kind) => !kind.startsWith("intel."))) schedule(); // searches change nothing here
    });
  };
})();
