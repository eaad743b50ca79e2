// Step 1's part of the page (draws only): the ways to bring photos, what the page found in
// them (counts per label, files left out and why), and the session saved last time.

import { h } from "../common/ui.js";
import { plural } from "./text.js";

const LEVEL = { error: "Problem", warning: "Note", info: "Found" };

export function buildBring() {
  const folderInput = h("input", { type: "file", webkitdirectory: true, directory: true, multiple: true, class: "trn-file",
    "aria-label": "folder of label folders" });
  const filesInput = h("input", { type: "file", multiple: true, accept: "image/*", class: "trn-file", "aria-label": "photos for the label" });
  const labelName = h("input", { type: "text", class: "trn-text", placeholder: "label, e.g. grizzly", "aria-label": "label name" });
  const v = {
    folderInput, filesInput, labelName,
    folderButton: h("button", { type: "button", class: "md-button md-button--primary" }, "Open a folder of label folders"),
    filesButton: h("button", { type: "button", class: "md-button" }, "Add photos to this label"),
    cameraButton: h("button", { type: "button", class: "md-button", hidden: true }, "Use the camera"),
    restored: h("div", { class: "trn-restored", hidden: true }),
    reading: h("p", { class: "trn-note", "aria-live": "polite" }),
    messages: h("ul", { class: "trn-messages", "aria-live": "polite" }),
    counts: h("table", { class: "trn-table", hidden: true }),
    left: h("details", { class: "trn-left", hidden: true }),
  };
  v.drop = h("div", { class: "trn-drop", role: "group", "aria-label": "Bring photos" },
    h("p", {}, "A folder with one folder of photos per label (2 to 10 labels), dropped here or opened; or photos label by label; or the camera. Nothing leaves this browser."),
    h("div", { class: "trn-row" }, v.folderButton, v.cameraButton),
    h("div", { class: "trn-row" }, h("label", {}, "Label ", labelName), v.filesButton),
    folderInput, filesInput);
  v.node = h("section", { class: "trn-step", dataset: { step: "bring" } },
    h("h3", {}, "1. Bring photos"), v.restored, v.drop, v.reading, v.messages, v.counts, v.left);
  v.folderButton.addEventListener("click", () => folderInput.click());
  return v;
}

export function drawBring(v, s) {
  v.reading.textContent = s.busy === "reading" && s.progress ? `Reading and checking: ${s.progress.done} of ${s.progress.total} files.` : "";
  drawRestored(v, s);
  const c = s.check;
  v.messages.replaceChildren(...(c?.messages || []).map((m) =>
    h("li", { class: `trn-msg trn-${m.level}`, dataset: { level: m.level } }, h("b", {}, `${LEVEL[m.level]}: `), m.text)));
  v.counts.hidden = !c || !c.classes.length;
  if (c && c.classes.length) {
    v.counts.replaceChildren(h("caption", {}, "Photos per label"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "label"), h("th", { scope: "col" }, "photos"))),
      h("tbody", {}, c.classes.map((lab) => h("tr", { dataset: { label: lab } }, h("th", { scope: "row" }, lab),
        h("td", {}, String(c.counts[lab]))))));
  }
  const left = c?.left || [];
  v.left.hidden = !left.length;
  v.left.replaceChildren(h("summary", {}, `${plural(left.length, "file")} left out, and why`),
    h("ul", {}, left.map((l) => h("li", { dataset: { kind: l.kind } }, h("code", {}, l.file || "(no name)"), `: ${l.reason}`))));
}

function drawRestored(v, s) {
  const r = s.restored;
  v.restored.hidden = !r || s.photos.length > 0;
  if (v.restored.hidden) return;
  if (!r.session) {
    v.restored.replaceChildren(h("p", {}, `A session saved in this browser cannot be restored: ${r.problem}.`));
    return;
  }
  const ses = r.session;
  const m = ses.head?.metrics;
  v.restored.replaceChildren(h("p", {}, h("b", {}, "Your last session: "),
    `${plural(ses.files.length, "photo")} in ${plural(ses.labels.length, "label")} (${ses.labels.join(", ")}), saved ${new Date(ses.saved).toLocaleString()}` +
    (m && Number.isFinite(m.error_rate) ? `; its head got ${(100 * m.error_rate).toFixed(1)}% of the validation photos wrong` : "") +
    ". Open the same folder again to carry on: activations computed before come from this browser's cache, and your cleaning marks come back."));
}
