import type { Lab } from './lab.js';

/**
 * Suite-end assertion: each lab was destroyed, `ip netns list` shows none of its namespaces,
 * and every process it started has exited. Throws a message naming what leaked.
 */
export async function assertNoLeaks(...labs: Lab[]): Promise<void> {
  const problems: string[] = [];
  for (const lab of labs) {
    if (!lab.destroyed) problems.push(`lab ${lab.prefix} was never destroyed (call await lab.destroy() in after())`);
    await lab.destroy();
    const namespaces = await lab.remainingNamespaces();
    if (namespaces.length > 0) problems.push(`namespaces left: ${namespaces.join(', ')}`);
    const alive = lab.processes.filter((child) => child.running);
    if (alive.length > 0)
      problems.push(`processes alive: ${alive.map((child) => `${child.pid} (${child.argv.join(' ')})`).join(', ')}`);
  }
  if (problems.length > 0) throw new Error(`netns lab leaks:\n  ${problems.join('\n  ')}`);
}
