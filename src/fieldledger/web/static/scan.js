// fieldledger: scan household cards into a distribution round's list of codes.
// Progressive enhancement: only where the browser has BarcodeDetector (with QR codes) and a
// camera; otherwise the codes are typed and the form works the same. A card's QR code holds
// the household code and nothing else (fieldledger/cards.py).
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const box = document.getElementById("codes");
  const panel = document.getElementById("scan");
  const start = document.getElementById("scan-start");
  const stop = document.getElementById("scan-stop");
  const video = document.getElementById("scan-video");
  const said = document.getElementById("scan-said");
  if (!box || !panel || !start || !stop || !video || !said) return;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) return;
  } catch {
    return;
  }
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  const show = (el, on) => { el.hidden = !on; el.style.display = on ? "" : "none"; };
  let stream = null;
  let timer = null;
  let last = "";

  const codes = () =>
    box.value.split(/[\n\r,;]+/).map((c) => c.trim().toLowerCase()).filter(Boolean);

  const add = (code) => {
    code = code.trim();
    if (!code || code.length > 32) return;
    if (codes().includes(code.toLowerCase())) {
      if (code !== last) said.textContent = `${panel.dataset.again}: ${code}`;
    } else {
      const text = box.value.replace(/\s+$/, "");
      box.value = (text ? text + "\n" : "") + code + "\n";
      said.textContent = `${panel.dataset.added}: ${code} (${codes().length})`;
      if (navigator.vibrate) navigator.vibrate(80);
    }
    last = code;
  };

  const halt = () => {
    if (timer) clearInterval(timer);
    timer = null;
    if (stream) for (const track of stream.getTracks()) track.stop();
    stream = null;
    video.srcObject = null;
    show(video, false);
    show(stop, false);
    show(start, true);
  };

  start.addEventListener("click", async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch {
      said.textContent = panel.dataset.failed;
      return;
    }
    video.srcObject = stream;
    video.style.width = "100%";
    video.style.maxWidth = "24rem";
    show(video, true);
    show(stop, true);
    show(start, false);
    await video.play().catch(() => {});
    timer = setInterval(async () => {
      if (video.readyState < 2) return;
      try {
        for (const found of await detector.detect(video)) add(found.rawValue || "");
      } catch {
        // a frame that could not be read: the next one will do
      }
    }, 250);
  });
  stop.addEventListener("click", halt);
  window.addEventListener("pagehide", halt);
  box.form?.addEventListener("submit", halt);

  show(stop, false);
  show(panel, true);
});
