// thriives: the links and log panels work with htmx alone; this only makes their refusals
// show. A refused link or entry comes back as 4xx with the message next to its field: swap
// it in, which htmx does not do for a 4xx by default. Loaded once however often a panel is.
if (!window.thriivesLinks) {
  window.thriivesLinks = true;
  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if ([403, 404, 409, 422].includes(status) && event.detail.elt.closest(".links-panel, .log-panel")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
}
