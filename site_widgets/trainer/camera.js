// Photos from the camera, label by label, as Teachable Machine takes them: the reader names
// a label and presses Capture; the page takes SETTINGS.camera.perLabel frames, one every
// everyMs, as JPEG files (nothing leaves the page). The camera light goes off when the
// reader closes it or leaves the page.

import { h } from "../common/ui.js";
import { SETTINGS } from "./settings.js";

const { perLabel, everyMs, maxSide } = SETTINGS.camera;

/** A frame of `video` as a JPEG File named for its label. */
function frame(video, label, n) {
  const s = Math.min(1, maxSide / Math.max(video.videoWidth, video.videoHeight));
  const c = h("canvas", { width: Math.round(video.videoWidth * s), height: Math.round(video.videoHeight * s) });
  c.getContext("2d").drawImage(video, 0, 0, c.width, c.height);
  return new Promise((resolve) => c.toBlob((blob) => resolve(blob &&
    new File([blob], `camera-${String(n).padStart(3, "0")}.jpg`, { type: "image/jpeg" })), "image/jpeg", 0.9));
}

/**
 * The camera panel. onPhotos(entries [{file, label}]) receives each capture; error(text)
 * shows a problem. Returns {node, open, close}.
 */
export function cameraPanel(ctx, { onPhotos, error }) {
  const video = h("video", { playsinline: true, muted: true, class: "trn-video", "aria-label": "camera preview" });
  const label = h("input", { type: "text", class: "trn-text", "aria-label": "label of the photos to capture", placeholder: "label, e.g. teddy" });
  const count = h("input", { type: "number", class: "trn-num", min: 2, max: 200, value: perLabel, "aria-label": "photos per capture" });
  const capture = h("button", { type: "button", class: "md-button md-button--primary" }, "Capture");
  const close = h("button", { type: "button", class: "md-button" }, "Close the camera");
  const note = h("p", { class: "trn-note", "aria-live": "polite" });
  const node = h("div", { class: "trn-camera", hidden: true }, video,
    h("div", { class: "trn-row" }, h("label", {}, "Label ", label), h("label", {}, "Photos ", count), capture, close), note);
  let stream = null;
  let taken = 0;
  const stop = () => {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    node.hidden = true;
  };
  ctx.onUnmount(stop);
  close.addEventListener("click", stop);
  capture.addEventListener("click", async () => {
    const name = label.value.trim();
    if (!name || /[/\\]/.test(name)) { error("Give the label a name (no slashes) before capturing."); return; }
    capture.disabled = true;
    const n = Math.max(2, Math.min(200, Number(count.value) || perLabel));
    const files = [];
    for (let i = 0; i < n && stream; i++) {
      const f = await frame(video, name, ++taken);
      if (f) files.push({ file: f, label: name });
      note.textContent = `${name}: ${files.length} of ${n}`;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    capture.disabled = false;
    if (files.length) onPhotos(files);
  });
  async function open() {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
      if (ctx.signal.aborted) { s.getTracks().forEach((t) => t.stop()); return; }
      stop();
      stream = s;
      video.srcObject = s;
      node.hidden = false;
      await video.play();
      label.focus();
    } catch (err) {
      stop();
      error(`The camera could not be opened (${err.name || "error"}: ${err.message}). You can still choose photo files.`);
    }
  }
  return { node, open, close: stop };
}

/** Whether this device has a camera (a "videoinput"), without asking for it. */
export async function hasCamera() {
  const devices = await navigator.mediaDevices?.enumerateDevices?.().catch(() => []) || [];
  return devices.some((d) => d.kind === "videoinput");
}
