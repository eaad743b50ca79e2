// Moved to common/drop.js (the trainer reads dropped folders too); kept so imports of this path still work.
export { filesFromDrop } from "../common/drop.js";
