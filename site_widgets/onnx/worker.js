// The generic ONNX worker: load models from manifests, run named inputs (one call or in
// batches), cancel, release. See engine.js for the protocol and client.js for the page side.
import { serve } from "./engine.js";

serve(self);
