// thriives: the intelligence panel. The panel works with htmx alone; this only makes its
// refusals show. A refused search term or reason comes back as 422 (or 403/404) with the
// message for its field: swap it in, which htmx does not do for a 4xx by default.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ([403, 404, 422].includes(status) && event.detail.elt.closest(".intel")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// A field is marked invalid while its message shows, for screen readers as for the eye.
document.addEventListener("htmx:afterSettle", () => {
  for (const message of document.querySelectorAll(".intel [data-error-for]")) {
    const field = document.getElementById(message.dataset.errorFor);
    if (!field) continue;
    if (message.textContent.trim()) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }
});
