/**
 * deploy/container/Dockerfile against the image's rules (helpers/dockerfile-rules.ts), and the rules against a
 * Dockerfile that breaks each of them, so a rule that stopped looking would show.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { packageRoot } from '../../../src/base/package-info.js';
import { fastPathFileCapabilities, parseDockerfile, stageSetcap } from './helpers/dockerfile.js';
import { dockerfileViolations } from './helpers/dockerfile-rules.js';

const BAD = `
FROM node:latest AS build
RUN npm install
FROM node:20
RUN apt-get install -y g++ make iproute2
ADD https://example.com/mmproxy.tgz /tmp/
COPY mmproxy.tgz /tmp/
USER mmproxy
CMD mmproxy
`;

describe('deploy/container/Dockerfile', () => {
  let text = '';
  before(async () => {
    text = await readFile(join(packageRoot(), 'deploy', 'container', 'Dockerfile'), 'utf8');
  });

  it('keeps every rule: pinned bases, a build stage, a slim final stage without compilers, non-root, healthcheck', () => {
    assert.deepEqual(dockerfileViolations(parseDockerfile(text)), []);
  });

  it('has two stages, the final one as uid 10001 with the stats socket directory it owns', () => {
    const file = parseDockerfile(text);
    assert.equal(file.stages.length, 2);
    const final = file.stages[1]!;
    assert.deepEqual(
      final.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args),
      ['10001:10001'],
    );
    assert.ok(final.instructions.some((i) => i.keyword === 'ENV' && i.args === 'RUNTIME_DIRECTORY=/run/mmproxy'));
    assert.ok(final.instructions.some((i) => /install -d -o 10001 -g 10001 -m 0755 \/run\/mmproxy/.test(i.args)));
  });

  it("the proxy runs on a node copy carrying cap_net_admin+ep alone (--cap-add reaches no non-root process), the HEALTHCHECK's doctor too (it tries IP_TRANSPARENT itself)", () => {
    const final = parseDockerfile(text).stages[1]!;
    assert.deepEqual(stageSetcap(final), { capabilities: 'cap_net_admin+ep', path: '/usr/local/lib/mmproxy/node' });
    const entrypoint = JSON.parse(final.instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args) as string[];
    assert.deepEqual(entrypoint, ['/usr/local/lib/mmproxy/node', '/usr/local/lib/node_modules/mmproxy/bin/mmproxy.js']);
    const health = final.instructions.find((i) => i.keyword === 'HEALTHCHECK')!.args;
    assert.ok(
      health.includes(
        `CMD ${JSON.stringify([...entrypoint, 'doctor', '--from-running', '--json']).replaceAll(',', ', ')}`,
      ),
      health,
    );
  });

  it('tells a fast-path build the file capabilities to pass: the default ones plus cap_bpf, nothing else', () => {
    // test/netns/deploy/image-filesystem.test.ts runs the proxy on a node copy carrying exactly these.
    assert.equal(fastPathFileCapabilities(text), 'cap_net_admin,cap_bpf+ep');
  });

  it('documents running with CAP_NET_ADMIN alone and setup-routing beforehand', () => {
    assert.match(text, /--cap-drop=ALL --cap-add=NET_ADMIN/);
    assert.match(text, /setup-routing <same flags>/);
  });

  it('catches a Dockerfile that breaks the rules, one violation per broken rule', () => {
    const found = dockerfileViolations(parseDockerfile(BAD));
    for (const expected of [
      /FROM node:latest: pin/,
      /FROM node:20: pin/,
      /never runs npm ci/,
      /never runs NAPI_VERSION=9/,
      /never runs npm pack/,
      /use a slim Node 20 image/,
      /USER mmproxy: use a numeric/,
      /installs or runs g\+\+/,
      /without --no-install-recommends/,
      /apt lists left/,
      /COPY without --chown/,
      /ADD of a URL/,
      /no HEALTHCHECK/,
      /ENTRYPOINT missing/,
    ])
      assert.ok(
        found.some((line) => expected.test(line)),
        `${expected} in:\n${found.join('\n')}`,
      );
  });
});
