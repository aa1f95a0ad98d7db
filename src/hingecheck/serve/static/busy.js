// A form that takes a while on the server (tuning, re-judging): its button says so and can't
// be pressed twice while the page waits.
(function () {
  "use strict";
  for (const form of document.querySelectorAll("form[data-busy]")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      if (!button) return;
      button.textContent = form.dataset.busy;
      setTimeout(() => { button.disabled = true; }, 0);  // after the form has been sent
    });
  }
})();
