// The upload with a progress bar: the file goes up in one streamed request (XMLHttpRequest, so
// upload.onprogress reports), then the page moves to the set's status.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const inputs = [document.getElementById("record"), document.getElementById("pick")];
  const chosen = document.getElementById("chosen");
  const error = document.getElementById("upload-error");
  const box = document.getElementById("progress");
  const bar = document.getElementById("upload-bar");
  const text = document.getElementById("upload-text");
  const send = document.getElementById("send");
  const max = parseInt(form.dataset.max, 10);
  let file = null;

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    box.hidden = true;
    send.disabled = false;
  }
  function mb(n) {
    return (n / 1e6).toFixed(n < 1e7 ? 1 : 0) + " MB";
  }
  for (const input of inputs) {
    input.addEventListener("change", () => {
      if (!input.files.length) return;
      file = input.files[0];
      for (const other of inputs) if (other !== input) other.value = "";
      chosen.textContent = file.name + " (" + mb(file.size) + ")";
      chosen.hidden = false;
      error.hidden = true;
    });
  }
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (!file) return fail("Record or pick a video first.");
    if (file.size > max) return fail("The video is larger than " + mb(max) + ".");
    const data = new FormData();
    data.append("csrf", form.elements.csrf.value);
    data.append("exercise", form.elements.exercise.value);
    data.append("note", form.elements.note.value);
    data.append("video", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", form.elements.csrf.value);
    xhr.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      bar.value = e.loaded / e.total;
      text.textContent = "Uploading: " + mb(e.loaded) + " of " + mb(e.total);
    };
    xhr.upload.onload = () => {
      text.textContent = "Checking the video…";
    };
    xhr.onload = () => {
      let body = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = {};
      }
      if (xhr.status === 201 && body.url) location.href = body.url;
      else fail(body.error || "The upload failed (" + xhr.status + "): try again.");
    };
    xhr.onerror = () => fail("The connection dropped during the upload: try again.");
    error.hidden = true;
    box.hidden = false;
    send.disabled = true;
    bar.value = 0;
    text.textContent = "Uploading…";
    xhr.send(data);
  });
})();
