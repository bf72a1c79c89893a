// fieldledger: the few scripts, none of them needed for a form to work.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Ask before a form marked data-confirm is sent (forget, panic, remove).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // Print buttons (household cards).
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
