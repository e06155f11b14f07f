// thriives supervision: the live view's panels refresh from the board's event stream at most
// about once a second, and the review form asks for a correction only when an item with one
// is answered "no". Without this file the pages still work (reload to refresh; the
// correction is always shown).
(function () {
  "use strict";

  if (window.thriivesLivePanels) window.thriivesLivePanels("supervision-panels"); // static/live_panels.js

  // The review form: an item's correction (the right category or grade) only when it is "no".
  function corrections() {
    for (const select of document.querySelectorAll("select[data-correction]")) {
      const row = document.getElementById(select.dataset.correction);
      if (!row) continue;
      const needed = select.value === "no";
      row.hidden = !needed;
      const chosen = row.querySelector("select");
      if (chosen) chosen.required = needed;
    }
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches("select[data-correction]")) corrections();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", corrections);
  else corrections();
})();
