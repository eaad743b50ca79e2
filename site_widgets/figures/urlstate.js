// Moved to common/urlstate.js (the SGD widget keeps its settings in the address too);
// this path stays for the widgets that import it from here (matmul, overfit).
export { readParam, readParams, writeParam } from "../common/urlstate.js";
