/**
 * The ranges of the data plane config's numbers. The addon enforces the same
 * table (native/src/dataplane/binding/config_limits.h) and exports it as
 * `dataPlaneConfigLimits`; test/unit/native/contract.test.ts holds the two
 * equal, field by field. The proxy's flags take their ranges from here, so
 * a value the CLI accepts is one the data plane accepts, never one it would
 * truncate.
 *
 * A copy rather than a read from the addon: the flags are parsed by
 * setup-routing too, which must work where the addon is not built.
 */

/** Inclusive bounds of an integer. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

const DAY_MS = 24 * 3_600_000;

export const DATA_PLANE_LIMITS = {
  /** SO_MARK takes 32 bits; 0 leaves it unset. */
  mark: { min: 0, max: 0xffff_ffff },
  /** Worker threads, one SO_REUSEPORT listener each. */
  listeners: { min: 1, max: 1024 },
  /** Above zero, at most a day (a longer one is a unit mistake). */
  headerTimeoutMs: { min: 1, max: DAY_MS },
  connectTimeoutMs: { min: 1, max: DAY_MS },
  /** 0: no limit; counted in 32 bits. */
  maxConnections: { min: 0, max: 0xffff_ffff },
  /** UDP. */
  closeAfterSeconds: { min: 0, max: DAY_MS / 1000 },
  /** UDP; 0: no limit; counted in 32 bits. */
  maxSessions: { min: 0, max: 0xffff_ffff },
  /** The kernel's MAX_TCP_KEEPIDLE; 0: off. */
  keepAliveSeconds: { min: 0, max: 32_767 },
  /** Every endpoint's port (listen, target4, target6). */
  port: { min: 0, max: 65_535 },
  /** TCP, --fast-path auto: relayed reads before a flow may move; 0: once drained. Counted in 32 bits. */
  fastPathAfterReads: { min: 0, max: 0xffff_ffff },
} as const satisfies Record<string, IntegerRange>;

export type DataPlaneLimitField = keyof typeof DATA_PLANE_LIMITS;
