// A widget's choices kept in the page address (?run=lr_too_high, ?lr=0.5), so a link can
// open them and a reload (or Back after instant navigation) keeps them. replaceState:
// changing a choice adds no history entry.

export const readParams = () => new URLSearchParams(window.location.search);

export function readParam(name) {
  return readParams().get(name);
}

export function writeParam(name, value) {
  const url = new URL(window.location.href);
  if (value === null || value === undefined || value === "") url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  if (url.href !== window.location.href) window.history.replaceState(window.history.state, "", url);
}
