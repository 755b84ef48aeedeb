/** `mmproxy install-service`: the systemd unit written with this installation's own paths. */
import type { Argv, CommandModule } from 'yargs';

import { setExitCode } from './exit-code.js';

export const INSTALL_SERVICE_FLAGS = {
  root: {
    type: 'string',
    requiresArg: true,
    describe: 'install under this directory instead of / (an image; systemd is not reloaded)',
  },
  'dry-run': { type: 'boolean', describe: 'print the files it would write, change nothing' },
  config: {
    type: 'string',
    requiresArg: true,
    describe: 'install mmproxy.service, which runs every listener of this config file (an absolute path)',
  },
} as const;

export const installServiceCommand: CommandModule<object, { root?: string; dryRun?: boolean; config?: string }> = {
  command: 'install-service',
  describe:
    'Write the systemd unit (mmproxy@.service, or mmproxy.service with --config) for this installation, verified, with its user (as root)',
  builder: (yargs: Argv) =>
    yargs
      .options(INSTALL_SERVICE_FLAGS)
      .example('$0 install-service', 'then: systemctl enable --now mmproxy@NAME, with /etc/mmproxy/NAME.conf')
      .example('$0 install-service --config /etc/mmproxy/mmproxy.toml', 'then: systemctl enable --now mmproxy')
      .epilogue(
        'Writes /etc/systemd/system/mmproxy@.service, or with --config FILE mmproxy.service running FILE (ExecStart= ' +
          'runs this node and this mmproxy by their real paths), /etc/sysusers.d/mmproxy.conf and, if absent, /etc/mmproxy/example.conf; checks the unit with ' +
          'systemd-analyze verify; creates the user mmproxy (systemd-sysusers) and runs systemctl daemon-reload. ' +
          'Run it again after moving node or mmproxy.',
      ),
  handler: async (argv) => {
    const { runInstallService } = await import('../../install-service/install-service.js');
    setExitCode(
      argv,
      await runInstallService({ root: argv.root, dryRun: argv.dryRun, config: argv.config }, (line) =>
        process.stdout.write(`${line}\n`),
      ),
    );
  },
};
