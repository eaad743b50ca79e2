// Loading the committed training reports, with messages a reader can act on.
// The site may be opened offline or from a sub-path: every URL is the widget's
// ctx.asset(site-root path), and a failed download can be retried (nothing is cached then).

import { fetchJSON } from "../common/fetch.js";
import { BASELINE, INDEX, REPORTS } from "./settings.js";
import { DataError } from "./series.js";

// url -> Promise of parsed JSON (failures are forgotten). Shared by every figure of every
// page, so a report is fetched and parsed once; not tied to one widget's signal, since the
// next page's figures may be waiting on the same promise.
const cache = new Map();

/** The path shown to readers, e.g. "assets/reports/default/report.json". */
export const reportPath = (run, file) => `${REPORTS}${run ? `${encodeURIComponent(run)}/` : ""}${file}`;

/** The reader's message for a failed report download (common/fetch.js errors carry a kind). */
function explain(err, path) {
  const detail = err && err.detail ? err.detail : String(err && err.message ? err.message : err);
  if (err && err.kind === "json") return new DataError(`${path} is not valid JSON (${detail}).`);
  if (err && err.kind === "network") {
    return new Error(`Could not download ${path} (${detail}). If you are offline, reconnect and press Retry.`);
  }
  return new Error(`Could not download ${path}: ${detail}.`);
}

/** Fetch and parse one report file; errors say which file and what went wrong.
 *  ctx: the widget's context (ctx.asset makes the URL from the site root). */
export function loadReport(ctx, run, file) {
  const path = reportPath(run, file);
  const url = ctx.asset(path).href;
  if (!cache.has(url)) {
    const promise = fetchJSON(url).catch((err) => {
      cache.delete(url);
      throw explain(err, path);
    });
    cache.set(url, promise);
  }
  return cache.get(url);
}

/** The runs of index.json, the good run first, then in the index's order. */
export function runList(index) {
  if (!index || typeof index !== "object" || Array.isArray(index)) {
    throw new DataError(`${REPORTS}${INDEX} should map run names to summaries.`);
  }
  const names = Object.keys(index);
  if (!names.length) throw new DataError(`${REPORTS}${INDEX} lists no run.`);
  const ordered = names.includes(BASELINE) ? [BASELINE, ...names.filter((n) => n !== BASELINE)] : names;
  return ordered.map((name) => {
    const entry = index[name] && typeof index[name] === "object" ? index[name] : {};
    return { name, what: typeof entry.what === "string" ? entry.what : "", metrics: entry.metrics || {},
      final: entry.final_epoch || {} };
  });
}

export const loadIndex = async (ctx) => runList(await loadReport(ctx, null, INDEX));
