/**
 * The simulator's runtime behaviour knobs (rate limits, faults, offsets, OAuth), shared by
 * `startSimulator`, `sim.configure`, `POST /_sim/configure` and the CLI. Everything here can be
 * changed while the server runs; `null` switches a feature off.
 */

export const FAULT_KINDS = ["500-html", "502", "503-json", "504", "reset", "truncated", "non-json", "slow"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface BudgetOptions {
  /** Requests per token per window. */
  perMinute: number;
  /** The sliding window's length (default 60 000 ms; tests use a short one). */
  windowMs?: number;
  /** Whether 429-rejected requests count against the window, as Asana documents (default true). */
  countRejected?: boolean;
}

export interface FaultOptions {
  /** Probability that a request fails, 0..1. */
  rate: number;
  /** The kinds to choose from (uniformly, by the same seeded hash). */
  kinds: FaultKind[];
  /** Seed of the fault decisions (default 0). */
  seed?: number;
}

export interface PartitionFault {
  status: 402 | 403 | 404;
  /** Requests naming one of these gids in the path or in a parent/project/workspace/team/section/tag/resource parameter fail. */
  gids: string[];
  /** Replaces the default message. */
  message?: string;
}

export interface OAuthOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Lifetime of issued access tokens on the simulated clock (default 3600). */
  accessTokenTtlSeconds?: number;
}

/** Options that can change while the simulator runs (`sim.configure`). */
export interface RuntimeOptions {
  /** Delay before each API response, in ms (default 0); makes peakConcurrency meaningful. */
  latencyMs?: number | null;
  /** Per-token sliding-window request budget; null/absent = unlimited. */
  budget?: BudgetOptions | null;
  /** GETs in flight per token before 429 with Retry-After: 1 (default 50; null = unlimited). */
  maxConcurrentGets?: number | null;
  /** Deterministic transient faults; null/absent = none. */
  faults?: FaultOptions | null;
  /** Delay of a `slow` fault (default 2000 ms). */
  slowMs?: number | null;
  /** Permanent per-partition failures. */
  partitionFaults?: PartitionFault[] | null;
  /** Offsets older than this (simulated clock) answer 400 "offset: Your pagination token has expired."; null = never. */
  offsetTtlMs?: number | null;
  /**
   * Per list query: the first offset presented is answered as expired, and so is every offset of
   * that query issued before then; offsets issued afterwards (after a restart from page 1) work.
   */
  expireOffsetsOnce?: boolean | null;
  /** Lists partitioned by one of these gids return the same next_page offset forever. */
  repeatOffsetFor?: string[] | null;
  /** Enables POST /-/oauth_token; null = every client is invalid. */
  oauth?: OAuthOptions | null;
}

/** The resolved runtime configuration. */
export interface RuntimeConfig {
  latencyMs: number;
  budget: Required<BudgetOptions> | null;
  maxConcurrentGets: number | null;
  faults: Required<FaultOptions> | null;
  slowMs: number;
  partitionFaults: PartitionFault[];
  offsetTtlMs: number | null;
  expireOffsetsOnce: boolean;
  repeatOffsetFor: string[];
  oauth: Required<OAuthOptions> | null;
}

export const RUNTIME_OPTION_KEYS: readonly (keyof RuntimeOptions)[] = [
  "latencyMs",
  "budget",
  "maxConcurrentGets",
  "faults",
  "slowMs",
  "partitionFaults",
  "offsetTtlMs",
  "expireOffsetsOnce",
  "repeatOffsetFor",
  "oauth",
];

export const DEFAULT_CONFIG: Readonly<RuntimeConfig> = {
  latencyMs: 0,
  budget: null,
  maxConcurrentGets: 50,
  faults: null,
  slowMs: 2000,
  partitionFaults: [],
  offsetTtlMs: null,
  expireOffsetsOnce: false,
  repeatOffsetFor: [],
  oauth: null,
};

export class OptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OptionsError";
  }
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new OptionsError(`${name} must be a non-negative number, got ${JSON.stringify(value)}`);
  return value;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) throw new OptionsError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string")) throw new OptionsError(`${name} must be a list of strings`);
  return [...value];
}

function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new OptionsError(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function has(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/**
 * Applies `partial` (typed options, or untrusted JSON from POST /_sim/configure) to `base` and
 * returns the new configuration. A key that is present with `undefined` or `null` resets it.
 */
export function applyOptions(base: RuntimeConfig, partial: unknown): RuntimeConfig {
  const input = record(partial, "options");
  for (const key of Object.keys(input)) {
    if (!(RUNTIME_OPTION_KEYS as readonly string[]).includes(key)) throw new OptionsError(`unknown option ${JSON.stringify(key)}`);
  }
  const out: RuntimeConfig = { ...base };
  const present = (key: keyof RuntimeOptions): boolean => has(input, key);
  const value = (key: keyof RuntimeOptions): unknown => input[key];
  const unset = (key: keyof RuntimeOptions): boolean => value(key) === undefined || value(key) === null;

  if (present("latencyMs")) out.latencyMs = unset("latencyMs") ? DEFAULT_CONFIG.latencyMs : nonNegative(value("latencyMs"), "latencyMs");
  if (present("budget")) {
    if (unset("budget")) out.budget = null;
    else {
      const b = record(value("budget"), "budget");
      const countRejected = b.countRejected === undefined ? true : b.countRejected;
      if (typeof countRejected !== "boolean") throw new OptionsError("budget.countRejected must be a boolean");
      out.budget = {
        perMinute: positiveInteger(b.perMinute, "budget.perMinute"),
        windowMs: b.windowMs === undefined ? 60_000 : positiveInteger(b.windowMs, "budget.windowMs"),
        countRejected,
      };
    }
  }
  if (present("maxConcurrentGets")) out.maxConcurrentGets = unset("maxConcurrentGets") ? null : positiveInteger(value("maxConcurrentGets"), "maxConcurrentGets");
  if (present("faults")) {
    if (unset("faults")) out.faults = null;
    else {
      const f = record(value("faults"), "faults");
      const rate = nonNegative(f.rate, "faults.rate");
      if (rate > 1) throw new OptionsError("faults.rate must be in 0..1");
      const kinds = stringList(f.kinds, "faults.kinds");
      for (const kind of kinds) if (!(FAULT_KINDS as readonly string[]).includes(kind)) throw new OptionsError(`unknown fault kind ${JSON.stringify(kind)} (known: ${FAULT_KINDS.join(", ")})`);
      if (kinds.length === 0 && rate > 0) throw new OptionsError("faults.kinds must name at least one kind");
      const seed = f.seed === undefined ? 0 : f.seed;
      if (typeof seed !== "number" || !Number.isInteger(seed)) throw new OptionsError("faults.seed must be an integer");
      out.faults = { rate, kinds: kinds as FaultKind[], seed };
    }
  }
  if (present("slowMs")) out.slowMs = unset("slowMs") ? DEFAULT_CONFIG.slowMs : nonNegative(value("slowMs"), "slowMs");
  if (present("partitionFaults")) {
    if (unset("partitionFaults")) out.partitionFaults = [];
    else {
      const list = value("partitionFaults");
      if (!Array.isArray(list)) throw new OptionsError("partitionFaults must be a list");
      out.partitionFaults = list.map((item: unknown, i) => {
        const p = record(item, `partitionFaults[${i}]`);
        if (p.status !== 402 && p.status !== 403 && p.status !== 404) throw new OptionsError(`partitionFaults[${i}].status must be 402, 403 or 404`);
        const fault: PartitionFault = { status: p.status, gids: stringList(p.gids, `partitionFaults[${i}].gids`) };
        if (p.message !== undefined) {
          if (typeof p.message !== "string") throw new OptionsError(`partitionFaults[${i}].message must be a string`);
          fault.message = p.message;
        }
        return fault;
      });
    }
  }
  if (present("offsetTtlMs")) out.offsetTtlMs = unset("offsetTtlMs") ? null : nonNegative(value("offsetTtlMs"), "offsetTtlMs");
  if (present("expireOffsetsOnce")) {
    const v = value("expireOffsetsOnce");
    if (v !== undefined && v !== null && typeof v !== "boolean") throw new OptionsError("expireOffsetsOnce must be a boolean");
    out.expireOffsetsOnce = v === true;
  }
  if (present("repeatOffsetFor")) out.repeatOffsetFor = unset("repeatOffsetFor") ? [] : stringList(value("repeatOffsetFor"), "repeatOffsetFor");
  if (present("oauth")) {
    if (unset("oauth")) out.oauth = null;
    else {
      const o = record(value("oauth"), "oauth");
      for (const key of ["clientId", "clientSecret", "refreshToken"] as const) {
        if (typeof o[key] !== "string" || o[key] === "") throw new OptionsError(`oauth.${key} must be a non-empty string`);
      }
      out.oauth = {
        clientId: o.clientId as string,
        clientSecret: o.clientSecret as string,
        refreshToken: o.refreshToken as string,
        accessTokenTtlSeconds: o.accessTokenTtlSeconds === undefined ? 3600 : positiveInteger(o.accessTokenTtlSeconds, "oauth.accessTokenTtlSeconds"),
      };
    }
  }
  return out;
}
