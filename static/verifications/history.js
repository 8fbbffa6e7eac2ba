// The report's Print button. A file rather than an inline handler so a strict CSP holds;
// the button stays hidden without JavaScript (Ctrl+P still works).
for (const button of document.querySelectorAll("[data-action='print']")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
