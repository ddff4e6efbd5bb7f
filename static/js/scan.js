// The pickup page: scan the citizen's QR code with the device's camera where the browser can
// read QR codes (BarcodeDetector: Chrome on Android, Edge, ...), fill in the code and look it up.
// Elsewhere the button stays hidden: type the 8 digits, or use a counter scanner (it types them).
"use strict";

document.addEventListener("DOMContentLoaded", async () => {
  const form = document.querySelector("[data-scan-form]");
  const button = form && form.querySelector("[data-scan]");
  if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
    return;
  }
  let formats = [];
  try {
    formats = await window.BarcodeDetector.getSupportedFormats();
  } catch (error) {
    return;
  }
  if (!formats.includes("qr_code")) {
    return;
  }
  const video = form.querySelector("[data-scan-video]");
  const message = form.querySelector("[data-scan-message]");
  const input = form.querySelector("input[name=code]");
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  let stream = null;

  const stop = () => {
    if (stream) {
      stream.getTracks().forEach((track) => track.stop());
      stream = null;
    }
    video.hidden = true;
    message.hidden = true;
  };

  const look = async () => {
    if (!stream) {
      return;
    }
    try {
      const codes = await detector.detect(video);
      const digits = codes.map((code) => code.rawValue.replace(/\D/g, "")).find((d) => d.length === 8);
      if (digits) {
        stop();
        input.value = digits;
        form.requestSubmit();
        return;
      }
    } catch (error) {
      // a frame that could not be read: try the next one
    }
    window.setTimeout(look, 250);
  };

  button.hidden = false;
  button.addEventListener("click", async () => {
    if (stream) {
      stop();
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (error) {
      message.textContent = error.message;
      message.hidden = false;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    message.hidden = false;
    await video.play();
    look();
  });
});
