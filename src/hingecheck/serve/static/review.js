// "Use the video's time": the moment of a missed fault, taken from the review page's video.
(function () {
  "use strict";
  const button = document.getElementById("use-video-time");
  const frame = document.getElementById("review-frame");
  const field = document.getElementById("missed-time");
  if (!button || !frame || !field) return;
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
})();
