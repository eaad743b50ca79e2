// Thumbnails of the reader's own photos: object URLs (nothing is uploaded), made for what is
// on screen and revoked when it is replaced or the widget goes. The browser decodes them
// lazily, so a list of 2,000 photos never decodes at once.

import { h } from "../common/ui.js";

export class Thumbs {
  constructor() {
    this.groups = new Map(); // group name -> Set of URLs
  }

  /** An <img> of `blob` in `group` (or a placeholder without it). */
  img(group, blob, alt, note = "photo not open: open the folder again to see it") {
    if (!blob) return h("span", { class: "trn-nophoto" }, note);
    const url = URL.createObjectURL(blob);
    if (!this.groups.has(group)) this.groups.set(group, new Set());
    this.groups.get(group).add(url);
    return h("img", { src: url, alt, loading: "lazy", decoding: "async" });
  }

  /** Forget a group's URLs (its images are being replaced). */
  release(group) {
    for (const url of this.groups.get(group) || []) URL.revokeObjectURL(url);
    this.groups.delete(group);
  }

  releaseAll() {
    for (const g of [...this.groups.keys()]) this.release(g);
  }

  get size() {
    let n = 0;
    for (const g of this.groups.values()) n += g.size;
    return n;
  }
}
