// How a reader gives the classifier photos: the file picker (several at once), drag and
// drop, paste anywhere on the page, and the camera where the device has one. Listeners on
// the document and the camera stream end when the widget is unmounted (ctx).

import { h } from "../common/ui.js";
import { writeParam } from "../common/urlstate.js";

/** @param v  the view (view.js); @param st  the state (state.js): give(files, via), refuse(msg) */
export function wireInputs(ctx, v, st) {
  v.fileInput.addEventListener("change", () => {
    if (v.fileInput.files && v.fileInput.files.length) st.give(Array.from(v.fileInput.files), "choice of file");
    v.fileInput.value = ""; // choosing the same file again fires change again
  });
  v.loadButton.addEventListener("click", () => st.loadNow());
  v.mineInput.addEventListener("change", () => {
    st.useMine(v.mineInput.checked);
    writeParam("model", st.state.mine ? "mine" : null); // a link can open the page with the switch on
  });
  // The reader is about to give a photo: choosing one in the dialog, or dragging one here,
  // takes a second or more, time enough to start the runtime and the model meanwhile.
  v.pickButton.addEventListener("click", () => st.prepare());
  v.drop.addEventListener("dragenter", () => st.prepare());
  v.drop.addEventListener("keydown", (e) => {
    if (e.target === v.drop && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); v.fileInput.click(); }
  });
  v.drop.addEventListener("dragover", (e) => { e.preventDefault(); v.drop.classList.add("clf-over"); });
  v.drop.addEventListener("dragleave", () => v.drop.classList.remove("clf-over"));
  v.drop.addEventListener("drop", (e) => {
    e.preventDefault();
    v.drop.classList.remove("clf-over");
    const files = Array.from(e.dataTransfer?.files || []);
    if (files.length) st.give(files, "drop");
    else st.refuse("What was dropped is not a file (a link or text?). Drop a photo file from your computer; " +
      "to classify a picture from a web page, save it first, then drop or choose the saved file.");
  });
  ctx.listen(document, "paste", (e) => {
    const files = Array.from(e.clipboardData?.files || []);
    if (!files.length) return; // a text paste elsewhere on the page: not for us
    e.preventDefault();
    st.give(files, "paste");
  });
  setupCamera(ctx, v, st);
}

async function setupCamera(ctx, v, st) {
  // Only offer the camera where there is one (enumerateDevices lists a "videoinput").
  const devices = await navigator.mediaDevices?.enumerateDevices?.().catch(() => []) || [];
  if (ctx.signal.aborted || !devices.some((d) => d.kind === "videoinput")) return;
  v.cameraButton.hidden = false;
  let stream = null;
  const stop = () => {
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    v.video.srcObject = null;
    v.camera.hidden = true;
  };
  ctx.onUnmount(stop); // the camera light goes off when the reader leaves the page
  v.cameraButton.addEventListener("click", async () => {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      if (ctx.signal.aborted) return s.getTracks().forEach((t) => t.stop());
      stop();
      stream = s;
      v.video.srcObject = stream;
      v.camera.hidden = false;
      await v.video.play();
    } catch (err) {
      stop();
      v.error.show(`The camera could not be opened (${err.name || "error"}: ${err.message}). You can still choose a photo file.`);
    }
  });
  v.closeButton.addEventListener("click", stop);
  v.snapButton.addEventListener("click", () => {
    const c = h("canvas", { width: v.video.videoWidth, height: v.video.videoHeight });
    c.getContext("2d").drawImage(v.video, 0, 0);
    stop();
    c.toBlob((blob) => blob && st.give([new File([blob], "camera.png", { type: "image/png" })], "photo"), "image/png");
  });
}
