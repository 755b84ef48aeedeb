/**
 * Policy routing as data: `ip -j` JSON, parsed once per run and shared by
 * every check (answers are memoised by command line).
 */
import type { IpLink, IpRoute, IpRule, RouteAnswer } from './ip-types.js';
import type { SystemAccess } from './system-access.js';

export type Family = 4 | 6;

export interface RouteQuery {
  family: Family;
  destination: string;
  from?: string;
  /** Ask for an input lookup, of a packet arriving on this interface. */
  iif?: string;
  mark?: number;
  /** The packet's own selectors, for rules that look at them (ipproto, sport, dport, uidrange). */
  ipproto?: 'tcp' | 'udp';
  sport?: number;
  dport?: number;
  uid?: number;
}

export interface IpReader {
  rules(family: Family): Promise<IpRule[]>;
  /** Every route of every table (`ip route show table all`). */
  routes(family: Family): Promise<IpRoute[]>;
  /** The kernel's own decision for one lookup (`ip route get`). */
  routeGet(query: RouteQuery): Promise<RouteAnswer>;
  links(): Promise<IpLink[]>;
}

export class IpCommandError extends Error {}

function parseJsonArray<T>(stdout: string, command: string): T[] {
  // `ip` prints nothing at all for an empty dump in some versions.
  if (stdout.trim() === '') return [];
  const parsed: unknown = JSON.parse(stdout);
  if (!Array.isArray(parsed)) throw new IpCommandError(`${command}: expected a JSON array`);
  return parsed as T[];
}

/** The command line of a route lookup, exactly as a user would type it. */
export function routeGetArgs(query: RouteQuery): string[] {
  const args = ['-j', `-${query.family}`, 'route', 'get', query.destination];
  if (query.from !== undefined) args.push('from', query.from);
  if (query.iif !== undefined) args.push('iif', query.iif);
  if (query.mark) args.push('mark', String(query.mark));
  if (query.ipproto !== undefined) args.push('ipproto', query.ipproto);
  if (query.sport !== undefined) args.push('sport', String(query.sport));
  if (query.dport !== undefined) args.push('dport', String(query.dport));
  if (query.uid !== undefined) args.push('uid', String(query.uid));
  return args;
}

export function ipReader(system: SystemAccess): IpReader {
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    if (!memo.has(key)) memo.set(key, load());
    return memo.get(key) as Promise<T>;
  };
  const list = <T>(args: string[]): Promise<T[]> =>
    once(args.join(' '), async () => {
      const result = await system.exec('ip', args);
      const command = `ip ${args.join(' ')}`;
      // A kernel booted with IPv6 disabled has no IPv6 rules or routes at all.
      if (result.code !== 0 && /Address family not supported/.test(result.stderr)) return [];
      if (result.code !== 0) throw new IpCommandError(`${command} failed: ${result.stderr.trim()}`);
      return parseJsonArray<T>(result.stdout, command);
    });
  return {
    rules: (family) => list<IpRule>(['-j', `-${family}`, 'rule', 'show']),
    routes: (family) => list<IpRoute>(['-j', `-${family}`, 'route', 'show', 'table', 'all']),
    links: () => list<IpLink>(['-j', 'addr', 'show']),
    routeGet: (query) =>
      once(`get ${JSON.stringify(query)}`, async (): Promise<RouteAnswer> => {
        const args = routeGetArgs(query);
        const command = `ip ${args.filter((arg) => arg !== '-j').join(' ')}`;
        const result = await system.exec('ip', args);
        if (result.code !== 0) {
          return { ok: false, error: result.stderr.trim().replace(/^RTNETLINK answers: /, ''), command };
        }
        const [route] = parseJsonArray<IpRoute>(result.stdout, command);
        if (!route) return { ok: false, error: 'no answer', command };
        return { ok: true, route, command };
      }),
  };
}
