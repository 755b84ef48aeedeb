/**
 * The unit as installed: scripts/systemd/mmproxy@.service with its program,
 * /usr/local/bin/mmproxy in the ExecStart= lines, replaced by the node that
 * runs this mmproxy and the real path of its bin/mmproxy.js. Naming node
 * itself keeps the unit independent of systemd's PATH (`#!/usr/bin/env node`
 * would look node up there).
 */

/** The program the template's Exec lines name. */
export const TEMPLATE_PROGRAM = '/usr/local/bin/mmproxy';

/** Exec lines whose command may start with systemd's prefixes (+ runs as root, - ignores failure, …). */
const EXEC_LINE = /^(Exec(?:StartPre|Start|StartPost|Reload|Stop|StopPost)=[-+!@:|]*)(\S+)(.*)$/;

/** Directories that ProtectHome=yes hides from the service. */
const HIDDEN_BY_PROTECT_HOME = ['/home/', '/root/', '/run/user/'];

/** Characters a unit file would read as something else: whitespace, quotes, specifiers, variables, escapes. */
const NEEDS_QUOTING = /[\s"'\\$%;]/;

/** Why this path cannot be the unit's program (or its config file), or null. */
export function unusableProgramPath(path: string): string | null {
  if (!path.startsWith('/')) return `${path} is not an absolute path`;
  if (NEEDS_QUOTING.test(path)) return `${path} has a character a unit file would not take literally`;
  const hidden = HIDDEN_BY_PROTECT_HOME.find((dir) => path.startsWith(dir));
  if (hidden) return `${path} is under ${hidden}, which the unit's ProtectHome=yes hides from the service`;
  return null;
}

/** The template with every Exec line that runs the template's program running `node script` instead. */
export function installedUnitText(template: string, node: string, script: string, header: string): string {
  let replaced = 0;
  const lines = template.split('\n').map((line) => {
    const match = EXEC_LINE.exec(line);
    if (!match || match[2] !== TEMPLATE_PROGRAM) return line;
    replaced++;
    return `${match[1]}${node} ${script}${match[3]}`;
  });
  if (replaced === 0) throw new Error(`the unit template runs no ${TEMPLATE_PROGRAM}: nothing to install`);
  return `${header}\n${lines.join('\n')}`;
}

/** The line of mmproxy.service that names its config file, once for every Exec line. */
const CONFIG_LINE = /^Environment=MMPROXY_CONFIG=.*$/m;

/** The one-config unit naming `file` (check it with unusableProgramPath first). */
export function withConfigFile(unit: string, file: string): string {
  if (!CONFIG_LINE.test(unit)) throw new Error('the unit has no Environment=MMPROXY_CONFIG= line: nothing to set');
  return unit.replace(CONFIG_LINE, `Environment=MMPROXY_CONFIG=${file}`);
}
