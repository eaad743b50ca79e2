// The classifier widget: the reader gives photos, the trained model (ONNX, in
// onnxruntime-web, in a background worker) says grizzly, black or teddy, all inside the
// browser. This file only connects the parts:
//
//   inputs.js      file picker, drop, paste, camera -> state.give(files)
//   state.js       what the widget is doing (no DOM); one photo at a time, each gets an answer
//   view.js        the DOM, redrawn from the state
//   model.js       the model's worker, shared by every visit to the page
//   worker.js      in the worker: decode.js (file -> pixels), preprocess.js (pixels -> the
//                  exact crop Python feeds the model), ../onnx/engine.js (the model)
//   decision.js    ranking, and the answer: the graph's decision (a label, "none of these", "not sure")
//                  named with the manifest's meaning; the softmax "uncertain" rule for older models
//   ../trainer/myhead.js  "use my model": the reader's own head (trained on the "Train your own"
//                  page) on the same body; ?model=mine in the address turns it on
//
// The model is set up when the reader comes near the widget (common/approach.js: within a
// screen's height of the view, or the pointer or focus on it), never on load of a page the
// reader does not scroll down, and warmed up in its worker, so the photo given seconds later is
// answered at the model's steady speed. A photo given sooner waits for that same load.
//
// data-manifest on the element: the model's manifest, a site-root path.

import { onApproach } from "../common/approach.js";
import { readParam } from "../common/urlstate.js";
import { loadMyHead } from "../trainer/myhead.js";
import { memoryLimits } from "./decode.js";
import { wireInputs } from "./inputs.js";
import { useModel } from "./model.js";
import { createState } from "./state.js";
import { createView } from "./view.js";

const MANIFEST = "assets/models/bears.json";
const APPROACH_MARGIN = "100% 0px"; // a screen's height above and below the view

export async function mount(el, ctx) {
  const model = useModel(ctx, ctx.asset(el.dataset.manifest || MANIFEST).href, el.dataset.variant || null);
  const view = createView(el);
  const st = createState({ model, limits: memoryLimits(navigator), onChange: view.render, myHead: () => loadMyHead(),
    mine: readParam("model") === "mine" });
  view.onSelect = st.select;
  wireInputs(ctx, view, st);
  ctx.onUnmount(st.dispose);
  view.render(st.state);
  onApproach(ctx, el, () => {
    performance.mark("classifier:approach");
    st.prepare();
  }, { margin: APPROACH_MARGIN });
}
