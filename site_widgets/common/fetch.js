// fetch() with messages a reader can act on. No DOM: usable in pages and in Web Workers.

/** fetch(url), throwing a clear Error when the server answers with an error or the
 *  network is unreachable. `init` goes to fetch (e.g. {signal}). An abort stays an AbortError. */
export async function fetchOk(url, init = {}) {
  let res;
  try {
    res = await fetch(url, init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new Error(`could not load ${url}: the network did not answer (offline?)`);
  }
  if (!res.ok) throw new Error(`could not load ${url} (HTTP ${res.status})`);
  return res;
}

export const fetchJSON = async (url, init) => {
  const res = await fetchOk(url, init);
  try {
    return await res.json();
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new Error(`${url} is not valid JSON (${err.message})`);
  }
};
export const fetchText = async (url, init) => (await fetchOk(url, init)).text();
export const fetchBytes = async (url, init) => new Uint8Array(await (await fetchOk(url, init)).arrayBuffer());
