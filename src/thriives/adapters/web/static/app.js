// thriives: small keyboard helpers; pages work without this file too.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    const form = event.target.closest && event.target.closest("form[data-submit-on-ctrl-enter]");
    if (form) { event.preventDefault(); form.requestSubmit(); }
  }
});
// The live feed's state. While it is lost the live area greys, a banner says since when
// (the last moment the page was known to be up to date), and every clock on it is marked as
// computed from stale data; on reconnecting the marks go and the live parts are fetched again.
(function () {
  "use strict";
  const loadedAt = new Date();
  let open = false, lostSince = null, upToDate = loadedAt;
  const hhmmss = (date) => date.toLocaleTimeString("en-GB", { hour12: false });
  const area = () => document.querySelector("[sse-connect]");

  function say(text, down) {
    const state = document.getElementById("live-state");
    if (state) { state.textContent = text; state.classList.toggle("down", down); }
  }
  function markClocks() {
    for (const clock of document.querySelectorAll(".clock")) {
      clock.classList.toggle("stale", lostSince !== null);
      if (lostSince) clock.dataset.staleSince = hhmmss(lostSince);
      else delete clock.dataset.staleSince;
    }
  }
  function lose() {
    const live = area();
    if (!live) return;
    if (open) upToDate = new Date();
    open = false;
    if (!lostSince) lostSince = upToDate;
    live.classList.add("live-stale");
    let banner = document.getElementById("live-lost");
    if (!banner) {
      banner = document.createElement("p");
      banner.id = "live-lost";
      banner.className = "live-lost";
      banner.setAttribute("role", "alert");
      live.parentNode.insertBefore(banner, live);
    }
    banner.textContent = `Live updates lost since ${hhmmss(lostSince)}; reconnecting…`;
    say("reconnecting…", true);
    markClocks();
  }
  function regain() {
    open = true;
    say("live", false);
    if (!lostSince) return;
    lostSince = null;
    const banner = document.getElementById("live-lost");
    if (banner) banner.remove();
    const live = area();
    if (live) {
      live.classList.remove("live-stale");
      // What changed meanwhile was missed: fetch every live part again.
      if (window.htmx) {
        for (const part of live.querySelectorAll("[hx-trigger^='sse:']")) {
          htmx.trigger(part, part.getAttribute("hx-trigger").split(/[\s,]/)[0], {});
        }
      }
    }
    markClocks();
  }
  document.addEventListener("htmx:sseOpen", regain);
  document.addEventListener("htmx:sseError", lose);
  document.addEventListener("htmx:sseClose", lose);
  document.addEventListener("htmx:afterSwap", () => { if (lostSince) markClocks(); });
  // A browser that knows it is offline says so at once, before the stream times out.
  window.addEventListener("offline", lose);
})();
