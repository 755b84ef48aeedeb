/**
 * `new DataPlane(config)` checks every field itself, whatever TypeScript let
 * through, the better-sqlite3 way: a value it cannot hold exactly is
 * rejected, never truncated or wrapped (4294967296 connections used to become
 * 0, "no limit"). A number outside its range or not an integer is a
 * RangeError, a value of the wrong type a TypeError; the message names the
 * field and its range. The ranges come from the addon's own table, which
 * test/unit/native/contract.test.ts holds equal to TypeScript's. Nothing
 * here starts a data plane.
 */
import assert from 'node:assert/strict';

import type { IntegerRange } from '../../../src/base/dataplane-limits.js';
import { native } from '../../../src/native/addon.js';
import type { DataPlaneConfig } from '../../../src/native/dataplane-types.js';
import { validConfig } from './config.js';

type ErrorClass = typeof TypeError | typeof RangeError;

/** Builds a data plane from a config that may break the type on purpose. */
function construct(config: unknown): void {
  new (native().DataPlane)(config as DataPlaneConfig, () => {}).close();
}

function rejects(config: unknown, cls: ErrorClass, code: string, message: RegExp): void {
  assert.throws(
    () => construct(config),
    (error: unknown) => {
      assert.ok(error instanceof cls, `a ${cls.name}, got ${String(error)}`);
      assert.equal((error as Error & { code?: string }).code, code);
      assert.match(error.message, message);
      return true;
    },
  );
}

/** Every field of the range table but the endpoints' port, with the protocol that requires it. */
const NUMBER_FIELDS = {
  mark: 'tcp',
  listeners: 'tcp',
  headerTimeoutMs: 'tcp',
  connectTimeoutMs: 'tcp',
  maxConnections: 'tcp',
  keepAliveSeconds: 'tcp',
  closeAfterSeconds: 'udp',
  maxSessions: 'udp',
  fastPathAfterReads: 'tcp',
} as const;

const ENDPOINTS = {
  listen: { family: 4, address: '127.0.0.1' },
  target4: { family: 4, address: '127.0.0.1' },
  target6: { family: 6, address: '::1' },
} as const;

/** The values that must be refused for a field of `range`, by error class. */
function badValues({ min, max }: IntegerRange): [unknown, ErrorClass, string][] {
  return [
    [min - 1, RangeError, 'ERR_OUT_OF_RANGE'],
    [max + 1, RangeError, 'ERR_OUT_OF_RANGE'],
    [min + 0.5, RangeError, 'ERR_OUT_OF_RANGE'],
    [Number.NaN, RangeError, 'ERR_OUT_OF_RANGE'],
    [Number.POSITIVE_INFINITY, RangeError, 'ERR_OUT_OF_RANGE'],
    [String(min), TypeError, 'ERR_INVALID_ARG_TYPE'],
    [null, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [true, TypeError, 'ERR_INVALID_ARG_TYPE'],
  ];
}

function rangeText(name: string, { min, max }: IntegerRange): RegExp {
  return new RegExp(`^data plane config: ${name.replace('.', '\\.')} must be an integer from ${min} to ${max}, got `);
}

describe('DataPlane config checks', () => {
  const limits = native().dataPlaneConfigLimits;

  it('the table covers every number of the config', () => {
    assert.deepEqual(Object.keys(limits).sort(), [...Object.keys(NUMBER_FIELDS), 'port'].sort());
  });

  for (const [field, protocol] of Object.entries(NUMBER_FIELDS)) {
    const range = limits[field as keyof typeof NUMBER_FIELDS];
    const configWith = (value: unknown): unknown => ({ ...validConfig({ protocol }), [field]: value });

    it(`${field}: accepts ${range.min} and ${range.max}, rejects what it cannot hold`, () => {
      construct(configWith(range.min));
      construct(configWith(range.max));
      for (const [value, cls, code] of badValues(range)) rejects(configWith(value), cls, code, rangeText(field, range));
    });
  }

  for (const [name, endpoint] of Object.entries(ENDPOINTS)) {
    it(`${name}.port: accepts 0 and 65535, rejects what it cannot hold`, () => {
      const range = limits.port;
      const configWith = (port: unknown): unknown => ({ ...validConfig(), [name]: { ...endpoint, port } });
      construct(configWith(range.min));
      construct(configWith(range.max));
      for (const [value, cls, code] of badValues(range))
        rejects(configWith(value), cls, code, rangeText(`${name}.port`, range));
    });
  }

  it('rejects a required number that is missing, naming it', () => {
    const required = [
      ['tcp', 'mark'],
      ['tcp', 'listeners'],
      ['tcp', 'headerTimeoutMs'],
      ['tcp', 'connectTimeoutMs'],
      ['tcp', 'maxConnections'],
      ['udp', 'closeAfterSeconds'],
      ['udp', 'maxSessions'],
    ] as const;
    for (const [protocol, field] of required) {
      const config: Record<string, unknown> = { ...validConfig({ protocol }) };
      delete config[field];
      rejects(config, TypeError, 'ERR_INVALID_ARG_TYPE', new RegExp(`^data plane config: ${field} .*, got undefined$`));
    }
  });

  it('leaves the UDP fields and keepAliveSeconds out of a TCP config if it likes', () => {
    const config: Record<string, unknown> = { ...validConfig() };
    delete config['closeAfterSeconds'];
    delete config['maxSessions'];
    delete config['keepAliveSeconds'];
    construct(config);
  });

  it('rejects names, addresses and switches it does not know, naming the field', () => {
    const base = validConfig();
    const value = 'ERR_INVALID_ARG_VALUE';
    const type = 'ERR_INVALID_ARG_TYPE';
    rejects(
      { ...base, protocol: 'sctp' },
      TypeError,
      value,
      /^data plane config: protocol must be 'tcp' or 'udp', got 'sctp'$/,
    );
    rejects(
      { ...base, relayMode: 'fast' },
      TypeError,
      value,
      /relayMode must be 'auto', 'splice' or 'copy', got 'fast'$/,
    );
    rejects({ ...base, collision: 'reuse' }, TypeError, value, /collision must be 'refuse' or 'ephemeral-port'/);
    rejects({ ...base, collision: 1 }, TypeError, type, /collision must be .*, got a number$/);
    rejects(
      { ...base, udpHeader: 'sometimes' },
      TypeError,
      value,
      /udpHeader must be 'every', 'first', 'spp' or 'auto', got 'sometimes'$/,
    );
    rejects({ ...base, protocol: 'tcp', udpHeader: 'first ' }, TypeError, value, /udpHeader must be/);
    rejects({ ...base, listenTransparent: 1 }, TypeError, type, /listenTransparent must be a boolean, got a number$/);
    rejects({ ...base, listen: { family: 4, address: 'localhost', port: 1 } }, TypeError, value, /listen\.address/);
    rejects({ ...base, listen: null }, TypeError, type, /listen must be an endpoint/);
    rejects({ ...base, allowedSubnets: ['192.0.2.0/33'] }, TypeError, value, /'192\.0\.2\.0\/33' is not a CIDR prefix/);
    rejects({ ...base, allowedSubnets: '192.0.2.0/24' }, TypeError, type, /allowedSubnets must be an array of strings/);
  });
});
