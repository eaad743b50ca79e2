// Files from a drag-and-drop, with their folder paths when folders were dropped
// (the File System entries API, which every current browser has for drops).

/** Call synchronously in the drop handler (the entries vanish after it returns).
 *  -> Promise<{entries: [{file, path}], folders: boolean}> */
export function filesFromDrop(dataTransfer) {
  const roots = [...(dataTransfer.items || [])]
    .filter((it) => it.kind === "file")
    .map((it) => (typeof it.webkitGetAsEntry === "function" ? it.webkitGetAsEntry() : null));
  if (!roots.length || roots.some((e) => !e)) {
    // no entries (older browsers, synthetic events): plain files, no folders
    return Promise.resolve({ entries: [...(dataTransfer.files || [])].map((file) => ({ file, path: file.name })), folders: false });
  }
  return Promise.all(roots.map(walk)).then((lists) => ({
    entries: lists.flat(),
    folders: roots.some((e) => e.isDirectory),
  }));
}

async function walk(entry) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return [{ file, path: entry.fullPath.replace(/^\/+/, "") }];
  }
  const reader = entry.createReader();
  const children = [];
  // readEntries returns the folder in chunks (100 at a time in Chromium) until an empty one.
  for (;;) {
    const chunk = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!chunk.length) break;
    children.push(...chunk);
  }
  return (await Promise.all(children.map(walk))).flat();
}
