/** Word wrapping for narrow terminals, with a hanging indent. */

/**
 * Wraps `text` to `width` columns: the first line starts with `first`, the
 * others with `rest`. Words longer than a line stay whole rather than break
 * an address or a command in two.
 */
export function wrap(text: string, width: number, first: string, rest: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(' ')) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else {
      line += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}
