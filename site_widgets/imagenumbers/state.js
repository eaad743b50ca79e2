// The image-numbers widget's choices <-> the page address, so a link opens the same view:
// ?pixel=84,103&label=grizzly&show=inputs (the zoomed pixel of the crop, the label whose
// loss is shown, which numbers the zoom writes). No DOM: `get(name)` is handed in, and
// the tests run this in Node. The reader's photo never goes into the address.

export const SHOWS = ["bytes", "inputs"]; // the zoom writes 0..255 bytes, or what the network receives

/** Read {x, y, label, show} for a size × size crop and `labels`; unusable values are
 *  replaced by the defaults (the crop's centre, the first label, bytes) and `notes` say so. */
export function readState(get, labels, size) {
  const notes = [];
  const state = { x: Math.floor(size / 2), y: Math.floor(size / 2), label: labels[0], show: SHOWS[0] };
  const pixel = get("pixel");
  if (pixel !== null) {
    const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(pixel);
    if (!m || Number(m[1]) >= size || Number(m[2]) >= size) {
      notes.push(`pixel “${pixel}” is not x,y inside the ${size} × ${size} crop; showing its centre.`);
    } else {
      state.x = Number(m[1]);
      state.y = Number(m[2]);
    }
  }
  const label = get("label");
  if (label !== null) {
    if (labels.includes(label)) state.label = label;
    else notes.push(`label “${label}” is not one of ${labels.join(", ")}; showing ${labels[0]}.`);
  }
  const show = get("show");
  if (show !== null) {
    if (SHOWS.includes(show)) state.show = show;
    else notes.push(`show “${show}” is not one of ${SHOWS.join(", ")}; showing ${SHOWS[0]}.`);
  }
  return { state, notes };
}

/** Address parameters for a state: [[name, value | null], ...] (null: the default, left out). */
export function writeState(state, labels, size) {
  const centre = Math.floor(size / 2);
  return [
    ["pixel", state.x === centre && state.y === centre ? null : `${state.x},${state.y}`],
    ["label", state.label === labels[0] ? null : state.label],
    ["show", state.show === SHOWS[0] ? null : state.show],
  ];
}
