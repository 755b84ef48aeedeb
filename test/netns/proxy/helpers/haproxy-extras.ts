/**
 * What these tests add to the kit's HAProxy configuration, and HAProxy's own
 * view of its servers read from its stats socket (`show stat`, CSV).
 */
import { connect } from 'node:net';

/** Inserts lines at the end of a section ("global", "backend be", "frontend fe"). */
export function addToSection(config: string, section: string, lines: string[]): string {
  // At the start of a line: "backend be" must not match "    default_backend be".
  const header = `${section}\n`;
  const start = config.startsWith(header) ? 0 : config.indexOf(`\n${header}`) + 1;
  if (start <= 0 && !config.startsWith(header)) throw new Error(`no "${section}" section in:\n${config}`);
  const next = config.slice(start + header.length).search(/^\S/m);
  const end = next < 0 ? config.length : start + header.length + next;
  return config.slice(0, end) + lines.map((line) => `    ${line}\n`).join('') + config.slice(end);
}

export interface ServerStat {
  status: string;
  checkStatus: string;
  checkFailures: number;
}

/** Runs one command on HAProxy's stats socket (a filesystem path: reachable from any namespace). */
export function haproxyCommand(socketPath: string, command: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let text = '';
    const timer = setTimeout(
      () => socket.destroy(new Error(`no answer to "${command}" within ${timeoutMs}ms`)),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** HAProxy's status of backend/server from `show stat`. */
export async function serverStat(socketPath: string, backend: string, server: string): Promise<ServerStat> {
  const csv = await haproxyCommand(socketPath, 'show stat');
  const [header, ...rows] = csv.trim().split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const column = (name: string): number => columns.indexOf(name);
  for (const row of rows) {
    const cells = row.split(',');
    if (cells[column('pxname')] === backend && cells[column('svname')] === server) {
      return {
        status: cells[column('status')] ?? '',
        checkStatus: cells[column('check_status')] ?? '',
        checkFailures: Number(cells[column('chkfail')] ?? 'NaN'),
      };
    }
  }
  throw new Error(`no ${backend}/${server} in show stat:\n${csv}`);
}
