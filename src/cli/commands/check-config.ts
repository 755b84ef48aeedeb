/** `mmproxy check-config FILE`: is this config one the proxy would run? (exit 0, or 2 with every mistake) */
import type { Argv, CommandModule } from 'yargs';

import { setExitCode } from './exit-code.js';

export const checkConfigCommand: CommandModule<object, { file: string }> = {
  command: 'check-config <file>',
  describe: 'Check a config file as the proxy would read it, binding nothing (exit 0, or 2 with every mistake)',
  builder: (yargs: Argv) =>
    yargs
      .positional('file', { type: 'string', demandOption: true, describe: 'the config file (TOML, docs/config.md)' })
      .example('$0 check-config /etc/mmproxy/mmproxy.toml', 'before a reload: ExecReload= runs it first')
      .epilogue(
        'Reads the file and every allowed-subnets file it names, as a start or a reload would. Each mistake is ' +
          'printed as FILE:LINE:COLUMN: KEY: what is wrong.',
      ),
  handler: async (argv) => {
    const { checkConfig } = await import('../../config/check-config.js');
    const code = await checkConfig(argv.file, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
    setExitCode(argv, code);
  },
};
