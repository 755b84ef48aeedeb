/**
 * Telling systemd how the proxy is doing (Type=notify units, sd_notify(3)'s
 * protocol): READY=1 once every listener is bound, STATUS= lines that
 * `systemctl status` shows, STOPPING=1 when draining starts, and WATCHDOG=1
 * pings when the unit sets WatchdogSec=. Outside systemd ($NOTIFY_SOCKET
 * unset) every call does nothing.
 */
export interface ServiceNotifier {
  /**
   * Every listener is bound: the unit becomes active. Starts the watchdog pings if the unit asks for them
   * (WatchdogSec=), each sent only while `alive()` says the proxy still serves.
   */
  ready(status: string, alive: () => boolean): void;
  status(status: string): void;
  stopping(status: string): void;
  /** Stops the watchdog pings. */
  close(): void;
}

export interface ServiceEnvironment {
  NOTIFY_SOCKET?: string | undefined;
  WATCHDOG_USEC?: string | undefined;
  WATCHDOG_PID?: string | undefined;
}

export interface NotifierOptions {
  env: ServiceEnvironment;
  pid: number;
  /** Sends one datagram (the addon's notifyServiceManager); throws on failure. */
  send: (socketName: string, message: string) => void;
  maxSocketName: number;
  /** Told once, on the first failure to notify; the proxy goes on. */
  warn: (message: string) => void;
}

const NOOP: ServiceNotifier = { ready() {}, status() {}, stopping() {}, close() {} };

/** systemd's advice: ping at half the watchdog interval. */
const PINGS_PER_INTERVAL = 2;

/** The watchdog interval in ms when this process is the one asked to ping, else null. */
export function watchdogIntervalMs(env: ServiceEnvironment, pid: number): number | null {
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== String(pid)) return null;
  const usec = Number(env.WATCHDOG_USEC);
  return env.WATCHDOG_USEC !== undefined && Number.isSafeInteger(usec) && usec > 0 ? usec / 1000 : null;
}

/** A status line is one line: the protocol is newline-separated KEY=VALUE. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

export function createServiceNotifier(options: NotifierOptions): ServiceNotifier {
  const socketName = options.env.NOTIFY_SOCKET;
  if (socketName === undefined || socketName === '') return NOOP;
  const fits = socketName.length <= options.maxSocketName && (socketName[0] === '/' || socketName[0] === '@');
  if (!fits) {
    options.warn(`NOTIFY_SOCKET=${socketName} is not a socket path or @name that fits; not notifying systemd`);
    return NOOP;
  }
  let warned = false;
  const send = (fields: string[]): void => {
    try {
      options.send(socketName, fields.join('\n'));
    } catch (error) {
      if (warned) return;
      warned = true;
      const detail = error instanceof Error ? error.message : String(error);
      options.warn(`could not notify systemd at ${socketName}: ${detail}`);
    }
  };
  let watchdog: NodeJS.Timeout | undefined;
  const interval = watchdogIntervalMs(options.env, options.pid);
  return {
    ready(status, alive) {
      send(['READY=1', `STATUS=${oneLine(status)}`]);
      if (interval !== null && watchdog === undefined) {
        watchdog = setInterval(() => {
          if (alive()) send(['WATCHDOG=1']);
        }, interval / PINGS_PER_INTERVAL);
        watchdog.unref();
      }
    },
    status(status) {
      send([`STATUS=${oneLine(status)}`]);
    },
    stopping(status) {
      send(['STOPPING=1', `STATUS=${oneLine(status)}`]);
    },
    close() {
      clearInterval(watchdog);
      watchdog = undefined;
    },
  };
}
