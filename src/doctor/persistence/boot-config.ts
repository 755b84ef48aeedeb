/**
 * Every place a host's policy routing is re-created at boot, read into
 * rules and local routes with where each was found:
 * - systemd units (/etc/systemd/system, /run/systemd/system, with their
 *   drop-ins): ExecStartPre=, ExecStart= and ExecStartPost= lines running
 *   `ip rule add` / `ip route add`, a shell (`sh -c '…'`) or a script that
 *   does, or `mmproxy setup-routing` (which re-creates whatever its flags
 *   need at every start); go-mmproxy's example unit uses ExecStartPost=;
 * - systemd-networkd .network files: [RoutingPolicyRule] and [Route] sections;
 * - ifupdown: up, pre-up and post-up lines of /etc/network/interfaces{,.d/*};
 * - NetworkManager: dispatcher scripts, and routing-rules/routes of connection profiles;
 * - /etc/rc.local.
 * Packaged units (/usr/lib/systemd) are not read: they do not carry a site's routing.
 */
import type { DoctorContext } from '../context/context.js';
import { parseRuleArgs } from '../routing/policy/rule-args.js';
import { parseNetworkFile, parseSections } from './networkd.js';
import {
  type ConfiguredRule,
  localDefaultFromCommand,
  ruleFromCommand,
  runsSetupRouting,
  shellCommands,
  shellWords,
} from './shell.js';

export interface BootConfig {
  rules: (ConfiguredRule & { where: string })[];
  /** "4/123" → where a `local default dev lo` route of that family and table is added. */
  localDefaults: Map<string, string>;
  /** Units that run `mmproxy setup-routing` at start. */
  setupRoutingUnits: string[];
}

const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system'];
const NETWORKD_DIRS = ['/etc/systemd/network', '/run/systemd/network'];
const NM_DISPATCHER_DIRS = ['/etc/NetworkManager/dispatcher.d', '/etc/NetworkManager/dispatcher.d/pre-up.d'];
const NM_CONNECTION_DIRS = ['/etc/NetworkManager/system-connections', '/run/NetworkManager/system-connections'];
// Binaries, not scripts: an Exec line running one of these is not followed.
const BINARY_DIRS = ['/bin/', '/sbin/', '/usr/bin/', '/usr/sbin/', '/usr/lib/', '/lib/'];
const EXEC_KEYS = /^(ExecStartPre|ExecStart|ExecStartPost)=(.*)$/;

async function filesIn(ctx: DoctorContext, dir: string, suffix = ''): Promise<string[]> {
  return (await ctx.system.listDir(dir)).filter((name) => name.endsWith(suffix)).map((name) => `${dir}/${name}`);
}

class Collector {
  readonly config: BootConfig = { rules: [], localDefaults: new Map(), setupRoutingUnits: [] };

  /** The ip commands of a script; `where` says where the reader will find them. */
  script(text: string, where: string): void {
    for (const words of shellCommands(text)) this.command(words, where);
  }

  command(words: string[], where: string): void {
    const rule = ruleFromCommand(words);
    if (rule) this.config.rules.push({ ...rule, where });
    const local = localDefaultFromCommand(words);
    if (local && !this.config.localDefaults.has(local)) this.config.localDefaults.set(local, where);
  }
}

/** The command of an Exec line, without systemd's prefixes (- @ + ! !! :). */
function execCommand(value: string): string[] {
  return shellWords(value.replace(/^[-@+!:]+/, ''));
}

async function readUnit(ctx: DoctorContext, path: string, collect: Collector): Promise<void> {
  const text = (await ctx.system.readFile(path))?.replace(/\\\n/g, ' ') ?? '';
  for (const line of text.split('\n')) {
    const exec = EXEC_KEYS.exec(line.trim());
    if (!exec) continue;
    const where = `${path} (${exec[1]}=)`;
    const words = execCommand(exec[2] as string);
    if (runsSetupRouting(words)) {
      collect.config.setupRoutingUnits.push(path);
      continue;
    }
    const shell = words.findIndex((word) => word === '-c');
    if (shell > 0 && /(^|\/)(ba|da)?sh$/.test(words[shell - 1] as string)) {
      collect.script(words[shell + 1] ?? '', where);
      continue;
    }
    collect.command(words, where);
    const program = words[0] ?? '';
    const proxy = /(^|\/)(go-)?mmproxy$/.test(program);
    if (program.startsWith('/') && !proxy && !BINARY_DIRS.some((dir) => program.startsWith(dir))) {
      const script = await ctx.system.readFile(program);
      if (script !== null && !script.includes('\0')) collect.script(script, `${program}, run by ${where}`);
    }
  }
}

async function readUnits(ctx: DoctorContext, collect: Collector): Promise<void> {
  for (const dir of UNIT_DIRS) {
    const entries = await ctx.system.listDir(dir);
    const units = entries.filter((name) => name.endsWith('.service')).map((name) => `${dir}/${name}`);
    const dropIns = (
      await Promise.all(
        entries.filter((name) => name.endsWith('.service.d')).map((name) => filesIn(ctx, `${dir}/${name}`, '.conf')),
      )
    ).flat();
    await Promise.all([...units, ...dropIns].map((path) => readUnit(ctx, path, collect)));
  }
}

async function readNetworkd(ctx: DoctorContext, collect: Collector): Promise<void> {
  const files = (await Promise.all(NETWORKD_DIRS.map((dir) => filesIn(ctx, dir, '.network')))).flat();
  await Promise.all(
    files.map(async (path) => {
      const parsed = parseNetworkFile((await ctx.system.readFile(path)) ?? '');
      collect.config.rules.push(...parsed.rules.map((rule) => ({ ...rule, where: path })));
      for (const local of parsed.localDefaults)
        if (!collect.config.localDefaults.has(local)) collect.config.localDefaults.set(local, path);
    }),
  );
}

async function readIfupdown(ctx: DoctorContext, collect: Collector): Promise<void> {
  const files = ['/etc/network/interfaces', ...(await filesIn(ctx, '/etc/network/interfaces.d'))];
  await Promise.all(
    files.map(async (path) => {
      for (const line of ((await ctx.system.readFile(path)) ?? '').split('\n')) {
        const stanza = /^\s*(pre-up|up|post-up)\s+(.*)$/.exec(line);
        if (stanza) collect.script(stanza[2] as string, `${path} (${stanza[1]})`);
      }
    }),
  );
}

/** NetworkManager profiles: `routing-ruleN=` (ip-rule words) and `routeN=` with `routeN_options=table=…,type=local`. */
function readNmConnection(text: string, path: string, collect: Collector): void {
  for (const section of parseSections(text)) {
    const family = section.name === 'ipv6' ? 6 : section.name === 'ipv4' ? 4 : null;
    if (family === null) continue;
    const values = new Map(section.keys);
    for (const [key, value] of section.keys) {
      if (/^routing-rule\d+$/.test(key)) {
        const rule = parseRuleArgs(value.split(/\s+/), family);
        if (rule) collect.config.rules.push({ ...rule, where: `${path} ([${section.name}] ${key})` });
      }
      const route = /^route(\d+)$/.exec(key);
      if (route && ['0.0.0.0/0', '::/0'].includes(value.split(',')[0] ?? '')) {
        const options = new Map(
          (values.get(`${key}_options`) ?? '').split(',').map((pair) => pair.split('=') as [string, string]),
        );
        if (options.get('type') === 'local') {
          const local = `${family}/${options.get('table') ?? 'main'}`;
          if (!collect.config.localDefaults.has(local))
            collect.config.localDefaults.set(local, `${path} ([${section.name}] ${key})`);
        }
      }
    }
  }
}

async function readNetworkManager(ctx: DoctorContext, collect: Collector): Promise<void> {
  const scripts = (await Promise.all(NM_DISPATCHER_DIRS.map((dir) => filesIn(ctx, dir)))).flat();
  const profiles = (await Promise.all(NM_CONNECTION_DIRS.map((dir) => filesIn(ctx, dir, '.nmconnection')))).flat();
  await Promise.all([
    ...scripts.map(async (path) => {
      const text = await ctx.system.readFile(path);
      if (text !== null && !text.includes('\0')) collect.script(text, path);
    }),
    ...profiles.map(async (path) => readNmConnection((await ctx.system.readFile(path)) ?? '', path, collect)),
  ]);
}

export async function readBootConfig(ctx: DoctorContext): Promise<BootConfig> {
  const collect = new Collector();
  await Promise.all([
    readUnits(ctx, collect),
    readNetworkd(ctx, collect),
    readIfupdown(ctx, collect),
    readNetworkManager(ctx, collect),
    ctx.system.readFile('/etc/rc.local').then((text) => collect.script(text ?? '', '/etc/rc.local')),
  ]);
  return collect.config;
}
