// A fault's time seeks the annotated video there.
(function () {
  "use strict";
  const video = document.getElementById("video");
  if (!video) return;
  for (const b of document.querySelectorAll("button.time")) {
    b.addEventListener("click", () => {
      video.currentTime = parseFloat(b.dataset.t);
      video.scrollIntoView({ behavior: "smooth", block: "center" });
      video.play().catch(() => {});
    });
  }
})();
