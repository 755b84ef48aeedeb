/**
 * Loads the rulesets of test/unit/doctor/fixtures/firewall/ (*.rules in
 * iptables-restore format, *.nft) into fresh namespaces and records what
 * the doctor reads there: `iptables-nft-save -c`, `iptables-legacy-save -c`,
 * `nft -j -a list ruleset`. The parsers' unit tests read these recordings.
 * Run as root after a build:
 *   node dist/test/netns/doctor/helpers/record-firewall-fixtures.js
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { Lab } from '../../../../lab/index.js';
import { REPO_ROOT } from './run-doctor.js';

const DIR = join(REPO_ROOT, 'test', 'unit', 'doctor', 'fixtures', 'firewall');
const rules = (name: string) => join(DIR, name);

await Lab.using('drfwfix', async (lab) => {
  const save = async (file: string, argv: string[], host = nftHost) => {
    const { stdout } = await host.run(argv);
    await writeFile(join(DIR, file), stdout);
    process.stdout.write(`recorded ${file}\n`);
  };
  // iptables on nf_tables: what iptables-save prints, and the same tables as nft lists them.
  const nftHost = await lab.host('nft');
  await nftHost.sh(
    `iptables-nft-restore < ${rules('iptables.rules')} && ip6tables-nft-restore < ${rules('ip6tables.rules')}`,
  );
  await save('iptables-nft.save', ['iptables-nft-save', '-c']);
  await save('ip6tables-nft.save', ['ip6tables-nft-save', '-c']);
  await save('iptables-nft.json', ['nft', '-j', '-a', 'list', 'ruleset']);
  // The same rules on the legacy backend.
  const legacyHost = await lab.host('legacy');
  await legacyHost.sh(`iptables-legacy-restore < ${rules('iptables.rules')}`);
  await save('iptables-legacy.save', ['iptables-legacy-save', '-c'], legacyHost);
  // Native nftables.
  const nativeHost = await lab.host('native');
  await nativeHost.run(['nft', '-f', rules('native.nft')]);
  await save('native.json', ['nft', '-j', '-a', 'list', 'ruleset'], nativeHost);
});
