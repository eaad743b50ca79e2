// A figure's choice kept in the page address (?run=lr_too_high), so a link can
// open it and a reload keeps it. replaceState: switching adds no history entries.

export function readParam(name) {
  return new URLSearchParams(window.location.search).get(name);
}

export function writeParam(name, value) {
  const url = new URL(window.location.href);
  if (value === null || value === undefined || value === "") url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  if (url.href !== window.location.href) window.history.replaceState(window.history.state, "", url);
}
