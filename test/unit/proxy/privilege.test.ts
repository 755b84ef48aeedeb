/** The start-up privilege check: which refusals name CAP_NET_ADMIN, and which answers are not about privilege. */
import assert from 'node:assert/strict';

import type { SocketOptionProbe } from '../../../src/proxy/privilege.js';
import { missingPrivilege } from '../../../src/proxy/privilege.js';

/** A probe that answers `code` (null: success) per family and option. */
function probe(answers: Partial<Record<'transparent4' | 'transparent6' | 'mark', string | null>>): SocketOptionProbe {
  return ({ family, option }) => {
    const key = option === 'mark' ? 'mark' : family === 4 ? 'transparent4' : 'transparent6';
    const code = answers[key] ?? null;
    return { ok: code === null, errno: code === null ? 0 : 1, code };
  };
}

describe('proxy start-up privilege check', function () {
  it('passes when both families may set IP_TRANSPARENT', function () {
    assert.equal(missingPrivilege(probe({}), 0), null);
  });

  it('names the options refused, CAP_NET_ADMIN, and how to grant it', function () {
    const message = missingPrivilege(probe({ transparent4: 'EPERM', transparent6: 'EPERM' }), 0) ?? '';
    assert.match(message, /^cannot set IP_TRANSPARENT \(EPERM\), IPV6_TRANSPARENT \(EPERM\): .* needs CAP_NET_ADMIN; /);
    assert.match(message, /AmbientCapabilities=CAP_NET_ADMIN/);
    assert.match(
      message,
      /setpriv --reuid=USER --regid=GROUP --clear-groups --inh-caps=\+net_admin --ambient-caps=\+net_admin mmproxy/,
    );
  });

  it('probes SO_MARK only with -mark', function () {
    assert.equal(missingPrivilege(probe({ mark: 'EPERM' }), 0), null);
    assert.match(missingPrivilege(probe({ mark: 'EPERM' }), 7) ?? '', /^cannot set SO_MARK 7 \(EPERM\)/);
  });

  it('does not blame privilege for IPv6 being off', function () {
    assert.equal(missingPrivilege(probe({ transparent6: 'EAFNOSUPPORT' }), 0), null);
  });
});
