// Python's string order (no DOM).
//
// Python compares str by code point; JavaScript's `<` compares UTF-16 code units. The two
// differ only when one string has a surrogate pair (an emoji, say) where the other has a
// character in U+E000..U+FFFF. The split sorts file names and the labels the way Python
// does, so a name with an emoji in it lands where `sorted()` puts it.

const codePointRank = (u) => (u >= 0xd800 ? (u >= 0xe000 ? u - 0x800 : u + 0x2000) : u);

/** -1, 0 or 1, as Python orders `a` and `b`. */
export function pyCompare(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) < codePointRank(y) ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** sorted(set(values)) */
export const pySortedUnique = (values) => [...new Set(values)].sort(pyCompare);
