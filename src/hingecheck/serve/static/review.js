// "Use the video's time": a moment (a missed fault, a missed rep) taken from the playhead of the
// review page's video; each button names the field it fills (data-playhead).
(function () {
  "use strict";
  const frame = document.getElementById("review-frame");
  if (!frame) return;
  for (const button of document.querySelectorAll("button[data-playhead]")) {
    const field = document.getElementById(button.dataset.playhead);
    if (!field) continue;
    button.addEventListener("click", () => {
      let video = null;
      try {
        video = frame.contentDocument && frame.contentDocument.querySelector("video");
      } catch (e) {
        video = null;
      }
      if (video) field.value = video.currentTime.toFixed(2);
      field.focus();
    });
  }
})();
