/** The argv prefix that runs a command on one CPU alone (taskset; its threads inherit it), or none. */
export function pinnedTo(cpu: number | undefined): string[] {
  return cpu === undefined ? [] : ['taskset', '-c', String(cpu)];
}
