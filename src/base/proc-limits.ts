/** /proc/<pid>/limits, read by the doctor's file-limit check, the process metrics and the tests. */

/** The soft and hard "Max open files"; Infinity where unlimited, null when the line is absent. */
export function parseOpenFileLimit(text: string): { soft: number; hard: number } | null {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!match) return null;
  const value = (field: string | undefined) => (field === 'unlimited' ? Infinity : Number(field));
  return { soft: value(match[1]), hard: value(match[2]) };
}
