// The reader's own head, for the production classifier's "use my model" switch (no DOM
// beyond the Storage given).
//
// The trainer keeps the last head it trained here, as head.json (exportHead.js, format
// lesson2-head/1), in localStorage: small (labels x features floats), read synchronously
// by the classifier page. The classifier runs the same body, asks it for the feature output
// instead of its own answer, and applies this head: mean over the map, Linear, softmax.
// A head only fits the body it was trained on: `fits` compares the body's SHA-256.

import { poolFeatures } from "./cam.js";
import { HEAD_FORMAT, headFromJson } from "./exportHead.js";
import { predict } from "./head.js";

export const MY_HEAD_KEY = "lesson2-trainer/v1/head";

const storageOf = (storage) => {
  try {
    return typeof storage === "function" ? storage() : storage;
  } catch {
    return null; // storage blocked (private mode, settings)
  }
};

/** Keep head.json for the classifier. -> {ok, problem}: never throws. */
export function saveMyHead(json, storage = () => globalThis.localStorage) {
  const s = storageOf(storage);
  if (!s) return { ok: false, problem: "this browser does not let the site store anything" };
  try {
    s.setItem(MY_HEAD_KEY, JSON.stringify({ ...json, saved: new Date().toISOString() }));
    return { ok: true, problem: null };
  } catch (err) {
    const full = err?.name === "QuotaExceededError" || /quota/i.test(String(err?.message));
    return { ok: false, problem: full ? "this browser's storage for the site is full" : String(err?.message ?? err) };
  }
}

/** The saved head.json, checked, or null. */
export function loadMyHead(storage = () => globalThis.localStorage) {
  const s = storageOf(storage);
  try {
    const json = JSON.parse(s?.getItem(MY_HEAD_KEY) ?? "null");
    if (json?.format !== HEAD_FORMAT || !json.body?.sha256 || !json.body?.features?.name) return null;
    headFromJson(json); // throws if the shapes do not add up
    return json;
  } catch {
    return null;
  }
}

export function clearMyHead(storage = () => globalThis.localStorage) {
  try {
    storageOf(storage)?.removeItem(MY_HEAD_KEY);
  } catch { /* nothing saved */ }
}

/** Whether a head trained on one body runs on this one (same file, by SHA-256). */
export const fits = (json, bodySha256) => Boolean(json) && json.body.sha256 === bodySha256;

/** The head's probabilities for one photo's feature map (Float32Array C x h x w). */
export function headProbs(json, fmap) {
  const head = headFromJson(json);
  const { channels, height, width } = json.body.features;
  const pooled = poolFeatures(fmap, { channels, height, width });
  return Float32Array.from(predict(head, pooled, 1), Math.exp);
}
