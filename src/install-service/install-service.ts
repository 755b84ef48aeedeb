/**
 * `mmproxy install-service`: writes the systemd unit (mmproxy@.service, or
 * with --config FILE mmproxy.service running that config file) with the
 * installed program's real paths, the sysusers.d entry for its user and an
 * example instance configuration, checks the unit as written with
 * `systemd-analyze verify`, creates the user and reloads systemd. Nothing is
 * enabled or started: that is the administrator's `systemctl enable --now
 * mmproxy@NAME` (or `mmproxy`). Exit 0 when installed, 1 when something failed (said why).
 */
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

import { buildInfo, packageRoot } from '../base/package-info.js';
import { installedUnitText, unusableProgramPath, withConfigFile } from './unit-text.js';

export interface InstallServiceArgs {
  /** Install under this directory instead of / (an image, a container's tree). */
  root?: string;
  dryRun?: boolean;
  /** Install mmproxy.service, which runs this config file (an absolute path), instead of the template. */
  config?: string;
}

export const EXIT_INSTALLED = 0;
export const EXIT_INSTALL_FAILED = 1;

const TEMPLATE_UNIT = 'mmproxy@.service';
const CONFIG_UNIT = 'mmproxy.service';
const COMMAND_TIMEOUT_MS = 60_000;
const run = promisify(execFile);

/** Where each file goes, relative to the root. */
const TARGETS = {
  unitDir: join('etc', 'systemd', 'system'),
  sysusers: join('etc', 'sysusers.d', 'mmproxy.conf'),
  example: join('etc', 'mmproxy', 'example.conf'),
} as const;

interface Outcome {
  ok: boolean;
  output: string;
}

async function runTool(program: string, args: string[]): Promise<Outcome | null> {
  if (!existsSync(program)) return null;
  try {
    const { stdout, stderr } = await run(program, args, { timeout: COMMAND_TIMEOUT_MS });
    return { ok: true, output: `${stdout}${stderr}`.trim() };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}`.trim() || failed.message };
  }
}

/** Written next to the file, then renamed over it: a reader never sees half a unit. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, text, { mode: 0o644 });
  await rename(temporary, path);
}

export async function runInstallService(args: InstallServiceArgs, print: (line: string) => void): Promise<number> {
  const root = args.root ?? '/';
  const node = realpathSync(process.execPath);
  const script = realpathSync(join(packageRoot(), 'bin', 'mmproxy.js'));
  if (args.config !== undefined) {
    const why = unusableProgramPath(args.config);
    if (why) {
      print(`mmproxy install-service: --config ${why}.`);
      print('Name the config file by an absolute path the service can read, such as /etc/mmproxy/mmproxy.toml.');
      return EXIT_INSTALL_FAILED;
    }
  }
  const unitName = args.config === undefined ? TEMPLATE_UNIT : CONFIG_UNIT;
  const unitPath = join(root, TARGETS.unitDir, unitName);
  for (const path of [node, script]) {
    const why = unusableProgramPath(path);
    if (why) {
      print(`mmproxy install-service: ${why}.`);
      print('Install node and mmproxy system-wide (for example: npm install -g mmproxy as root), then run this again.');
      return EXIT_INSTALL_FAILED;
    }
  }
  const templates = join(packageRoot(), 'scripts', 'systemd');
  const { version } = buildInfo();
  const header = `# Written by \`mmproxy install-service\` (mmproxy ${version}): the program is ${node} ${script}.`;
  const installed = installedUnitText(await readFile(join(templates, unitName), 'utf8'), node, script, header);
  const unit = args.config === undefined ? installed : withConfigFile(installed, args.config);
  const files: [string, string][] = [
    [unitPath, unit],
    [join(root, TARGETS.sysusers), await readFile(join(templates, 'mmproxy.sysusers'), 'utf8')],
  ];
  const example = join(root, TARGETS.example);
  // An administrator's configuration is never overwritten; a config file is theirs to write (docs/config.md).
  if (args.config === undefined && !existsSync(example))
    files.push([example, await readFile(join(templates, 'example.conf'), 'utf8')]);

  if (args.dryRun) {
    for (const [path, text] of files) print(`would write ${path}:\n${text.trimEnd()}\n`);
    return EXIT_INSTALLED;
  }
  for (const [path, text] of files) {
    await writeAtomically(path, text);
    print(`wrote ${path}`);
  }

  // As installed: the unit's programs must exist and every directive parse.
  const verified = await runTool('/usr/bin/systemd-analyze', ['verify', unitPath]);
  if (verified === null) print('systemd-analyze not found (apt-get install systemd): the unit was not verified');
  else if (!verified.ok || verified.output !== '') {
    print(`systemd-analyze verify ${unitPath} found problems:\n${verified.output}`);
    return EXIT_INSTALL_FAILED;
  } else print(`systemd-analyze verify: ${unitPath} is valid`);

  const rootArgs = root === '/' ? [] : [`--root=${root}`];
  const users = await runTool('/usr/bin/systemd-sysusers', [...rootArgs, join(root, TARGETS.sysusers)]);
  if (users === null || !users.ok) {
    print(`the user mmproxy was not created${users ? `: ${users.output}` : ''}; create it with:`);
    print('  useradd --system --no-create-home --shell /usr/sbin/nologin mmproxy');
    return EXIT_INSTALL_FAILED;
  }
  print('user mmproxy: present');
  // Only a running systemd (not an image under --root) has units to reload.
  if (root === '/' && existsSync('/run/systemd/system')) {
    const reloaded = await runTool('/usr/bin/systemctl', ['daemon-reload']);
    if (!reloaded?.ok) {
      print(`systemctl daemon-reload failed: ${reloaded?.output ?? 'systemctl not found'}`);
      return EXIT_INSTALL_FAILED;
    }
    print('systemctl daemon-reload: done');
  }
  const next =
    args.config === undefined
      ? [
          'Next: one configuration file per proxy, then enable it:',
          `  cp ${join('/', TARGETS.example)} /etc/mmproxy/NAME.conf   # MMPROXY_ARGS=<the proxy's flags>`,
          '  systemctl enable --now mmproxy@NAME',
        ]
      : [
          `Next: write ${args.config} (docs/config.md), check it, then enable the service:`,
          `  mmproxy check-config ${args.config}`,
          '  systemctl enable --now mmproxy   # after an edit: systemctl reload mmproxy',
        ];
  print(next.join('\n'));
  return EXIT_INSTALLED;
}
