// thriives: small keyboard helpers; pages work without this file too.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    const form = event.target.closest && event.target.closest("form[data-submit-on-ctrl-enter]");
    if (form) { event.preventDefault(); form.requestSubmit(); }
  }
});
// Show whether the live feed is connected.
document.addEventListener("htmx:sseOpen", () => {
  const state = document.getElementById("live-state");
  if (state) { state.textContent = "live"; state.classList.remove("down"); }
});
document.addEventListener("htmx:sseError", () => {
  const state = document.getElementById("live-state");
  if (state) { state.textContent = "reconnecting…"; state.classList.add("down"); }
});
