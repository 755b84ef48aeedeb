/** "Did you mean": the known names closest to a misspelt one (a flag, a config key). */

/** Levenshtein distance: insertions, deletions and substitutions, one each. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Typos worth suggesting a fix for: two edits, or a third for long names. */
const MAX_EDITS = 2;
const LONG_NAME = 10;

/** The known names within reach of `written`, closest first. */
export function closestNames(written: string, known: Iterable<string>): string[] {
  const reach = written.length >= LONG_NAME ? MAX_EDITS + 1 : MAX_EDITS;
  return [...new Set(known)]
    .map((name) => ({ name, edits: editDistance(written, name) }))
    .filter(({ edits }) => edits <= reach)
    .sort((a, b) => a.edits - b.edits || a.name.localeCompare(b.name))
    .map(({ name }) => name);
}
