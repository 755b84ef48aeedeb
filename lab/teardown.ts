/**
 * Last-resort teardown: labs still alive when the process exits or is interrupted are destroyed synchronously
 * (an 'exit' handler cannot await). The normal path is `await lab.destroy()` in an after/afterEach hook.
 */
export interface SyncDestroyable {
  destroySync(reason: string): void;
}

const live = new Set<SyncDestroyable>();
let installed = false;

// Exit codes of a process killed by these signals, as a shell would report them.
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

export function registerForTeardown(item: SyncDestroyable): void {
  installHandlers();
  live.add(item);
}

export function unregisterFromTeardown(item: SyncDestroyable): void {
  live.delete(item);
}

export function destroyAllSync(reason: string): void {
  for (const item of [...live]) {
    live.delete(item);
    item.destroySync(reason);
  }
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => destroyAllSync('process exit'));
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.once(signal, () => {
      destroyAllSync(signal);
      process.exit(code);
    });
  }
}
