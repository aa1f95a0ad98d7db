// Live status of a set being analysed: polls the set's status and reloads the page when done.
(function () {
  "use strict";
  const box = document.getElementById("status");
  if (!box || !["queued", "running"].includes(box.dataset.state)) return;
  const text = document.getElementById("status-text");
  const bar = document.getElementById("status-bar");
  async function poll() {
    try {
      const r = await fetch(box.dataset.url, { headers: { Accept: "application/json" } });
      if (r.ok) {
        const s = await r.json();
        text.textContent = s.text;
        if (bar) {
          if (s.progress === null) bar.removeAttribute("value");
          else bar.value = s.progress;
        }
        box.dataset.state = s.state;
        if (s.state === "done" || s.state === "failed") {
          location.reload();
          return;
        }
      }
    } catch (e) {
      text.textContent = "reconnecting…";
    }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 1500);
})();
