// Loading the committed training reports, with messages a reader can act on.
// The site may be opened offline or from a sub-path: every URL is built from
// the site root, and a failed download can be retried (nothing is cached then).

import { fetchJSON } from "../common/ui.js";
import { BASELINE, INDEX, REPORTS } from "./settings.js";
import { DataError } from "./series.js";

const cache = new Map(); // url -> Promise of parsed JSON (failures are forgotten)

/** The path shown to readers, e.g. "assets/reports/default/report.json". */
export const reportPath = (run, file) => `${REPORTS}${run ? `${encodeURIComponent(run)}/` : ""}${file}`;

/** Fetch and parse one report file; errors say which file and what went wrong. */
export function loadReport(siteRoot, run, file) {
  const path = reportPath(run, file);
  const url = new URL(path, siteRoot).href;
  if (!cache.has(url)) {
    const promise = fetchJSON(url).catch((err) => {
      cache.delete(url);
      if (err instanceof SyntaxError) throw new DataError(`${path} is not valid JSON (${err.message}).`);
      if (err instanceof TypeError) {
        throw new Error(`Could not download ${path} (${err.message}). If you are offline, reconnect and press Retry.`);
      }
      throw new Error(`Could not download ${path}: ${err.message}.`);
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

export const loadIndex = async (siteRoot) => runList(await loadReport(siteRoot, null, INDEX));
