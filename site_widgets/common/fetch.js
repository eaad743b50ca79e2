// fetch() with messages a reader can act on. No DOM: usable in pages, in Web Workers and in Node.
//
// Every error says which URL and what went wrong, and carries `kind` ("network" | "http" |
// "json"), `url` and `detail` (what went wrong, without the URL), so a caller can word it
// for its reader. An abort stays an AbortError.

function failure(kind, url, detail, message) {
  const err = new Error(message);
  Object.assign(err, { kind, url: String(url), detail });
  return err;
}

/** fetch(url), throwing a clear Error when the server answers with an error or the
 *  network is unreachable. `init` goes to fetch (e.g. {signal}). */
export async function fetchOk(url, init = {}) {
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw failure("network", url, "the network did not answer", `could not load ${url}: the network did not answer (offline?)`);
  }
  if (!res.ok) throw failure("http", url, `HTTP ${res.status}`, `could not load ${url} (HTTP ${res.status})`);
  return res;
}

export const fetchJSON = async (url, init) => {
  const res = await fetchOk(url, init);
  try {
    return await res.json();
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw failure("json", url, err.message, `${url} is not valid JSON (${err.message})`);
  }
};
export const fetchText = async (url, init) => (await fetchOk(url, init)).text();
export const fetchBytes = async (url, init) => new Uint8Array(await (await fetchOk(url, init)).arrayBuffer());
