/**
 * The runtime's settings, derived once from the validated config, the spec and the manifest, and
 * handed to the components that use them (src/cli/runtime.ts passes them to the HTTP client, the
 * rate controller, the fetch environment and the read loop). Nothing else in the runtime reads
 * these config keys, so a new setting is one table row here plus one property in the spec.
 *
 * Two tables name every config key read here:
 * - USER_SETTINGS: keys declared in manifest.yaml's `spec.connection_specification` (title,
 *   description, type, default, bounds). The spec validates them before they get here and its
 *   `default` applies when the config leaves one out, so defaults live in one place
 *   (test/unit/settings.test.ts checks the table against the spec).
 * - TEST_HOOKS: underscore-prefixed keys only tests set, to make retries and checkpoints fast.
 *   They are never in the spec (nor in `--about` or the docs): config validation skips `_` keys,
 *   as Airbyte's acceptance tests drop them. Documented for tests in test/helpers/cli.ts.
 *
 * The other config keys belong to the manifest, which interpolates them itself: `credentials`,
 * `base_url`, `start_date`, and `num_workers` (its `concurrency_level`, read by
 * src/declarative/source.ts as `source.concurrency`).
 */
import type { DeclarativeSource } from "../declarative/source.js";
import { durationSeconds } from "../declarative/duration.js";
import { isNode } from "../declarative/node.js";
import { configError, systemError } from "../errors.js";
import { propertySchema } from "../json-schema.js";
import { interpolate } from "../manifest/interpolation.js";

export interface RuntimeSettings {
  /** Workers and connections: the manifest's `concurrency_level` (config `num_workers`). */
  concurrency: number;
  /** Starting request rate (req/s) of the AIMD controller: `requests_per_second`. */
  initialRate: number;
  /** Rate ceiling (req/s): `max_requests_per_second`, else the manifest's `api_budget`, else the spec's default. */
  maxRate: number;
  /** Total deadline of one request (sending to the last byte): `request_timeout_seconds`, in ms. */
  requestTimeoutMs: number;
  /** The longest Retry-After waited for (s): `max_retry_after_seconds`; a longer one fails the request. */
  maxRetryAfterSeconds: number;
  /** Base of the exponential backoff between retries (test hook; 1 s). */
  backoffBaseSeconds: number;
  /** Minimum time between two checkpoints of a stream (test hook; 1 s). */
  checkpointIntervalMs: number;
  /** Time between two progress summary lines when no terminal shows the live block (test hook; 30 s). */
  progressIntervalMs: number;
}

type Bound = "positive" | "non-negative";

interface UserSetting {
  /** The property of spec.connection_specification. */
  key: string;
  bound: Bound;
}

interface TestHook {
  key: `_${string}`;
  bound: Bound;
  default: number;
}

/** The user settings the runtime reads (the spec declares each, with its default and bounds). */
export const USER_SETTINGS = {
  initialRate: { key: "requests_per_second", bound: "positive" },
  maxRate: { key: "max_requests_per_second", bound: "positive" },
  requestTimeoutSeconds: { key: "request_timeout_seconds", bound: "positive" },
  maxRetryAfterSeconds: { key: "max_retry_after_seconds", bound: "positive" },
} as const satisfies Record<string, UserSetting>;

/** The test-only knobs: underscore keys, absent from the spec, with the values users always get. */
export const TEST_HOOKS = {
  backoffBaseSeconds: { key: "_backoff_base_seconds", bound: "positive", default: 1 },
  checkpointIntervalMs: { key: "_checkpoint_interval_ms", bound: "non-negative", default: 1000 },
  progressIntervalMs: { key: "_progress_interval_ms", bound: "positive", default: 30_000 },
} as const satisfies Record<string, TestHook>;

/** The config's value of `key`, checked against its bound; undefined when it is absent or null. */
function configNumber(config: Record<string, unknown>, key: string, bound: Bound): number | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (bound === "positive" && (typeof value !== "number" || !(value > 0))) {
    throw configError(`The config's ${key} must be a number greater than 0`);
  }
  if (bound === "non-negative" && (typeof value !== "number" || !(value >= 0))) {
    throw configError(`The config's ${key} must be a number of 0 or more`);
  }
  return value as number;
}

/** The default the spec declares for `key`: every user setting has one (a spec without is our bug). */
function specDefault(spec: Record<string, unknown>, key: string): number {
  const value = propertySchema(spec, key)?.default;
  if (typeof value !== "number") throw systemError(`The connector's spec declares no numeric default for ${key}`);
  return value;
}

function userSetting(config: Record<string, unknown>, spec: Record<string, unknown>, setting: UserSetting): number {
  return configNumber(config, setting.key, setting.bound) ?? specDefault(spec, setting.key);
}

function testHook(config: Record<string, unknown>, hook: TestHook): number {
  return configNumber(config, hook.key, hook.bound) ?? hook.default;
}

/** A test hook's value, for the components built before the settings (the OAuth token client). */
export function testHookValue(config: Record<string, unknown>, name: keyof typeof TEST_HOOKS): number {
  return testHook(config, TEST_HOOKS[name]);
}

/** The tightest rate (req/s) of the manifest's api_budget policies that apply to every request. */
function budgetRate(root: Record<string, unknown>, config: Record<string, unknown>): number | undefined {
  const budget = root.api_budget;
  if (!isNode(budget) || !Array.isArray(budget.policies)) return undefined;
  let tightest: number | undefined;
  for (const policy of budget.policies) {
    if (!isNode(policy) || !Array.isArray(policy.rates)) continue;
    if (Array.isArray(policy.matchers) && policy.matchers.length > 0) continue;
    for (const rate of policy.rates) {
      if (!isNode(rate)) continue;
      const limit = Number(interpolate(rate.limit, { config }));
      const seconds = durationSeconds(String(rate.interval));
      if (limit > 0 && seconds > 0) tightest = Math.min(tightest ?? Infinity, limit / seconds);
    }
  }
  return tightest;
}

/**
 * The settings of one run. `config` has passed the spec's validation; `spec` is the manifest's
 * connection_specification; `root` the manifest (for its api_budget).
 */
export function runtimeSettings(
  root: Record<string, unknown>,
  spec: Record<string, unknown>,
  source: DeclarativeSource,
  config: Record<string, unknown>,
): RuntimeSettings {
  const { initialRate, maxRate, requestTimeoutSeconds, maxRetryAfterSeconds } = USER_SETTINGS;
  // Without a configured ceiling, the API's own limit as the manifest's api_budget declares it.
  const ceiling = configNumber(config, maxRate.key, maxRate.bound) ?? budgetRate(root, config) ?? specDefault(spec, maxRate.key);
  return {
    concurrency: source.concurrency,
    initialRate: Math.min(userSetting(config, spec, initialRate), ceiling),
    maxRate: ceiling,
    requestTimeoutMs: userSetting(config, spec, requestTimeoutSeconds) * 1000,
    maxRetryAfterSeconds: userSetting(config, spec, maxRetryAfterSeconds),
    backoffBaseSeconds: testHook(config, TEST_HOOKS.backoffBaseSeconds),
    checkpointIntervalMs: testHook(config, TEST_HOOKS.checkpointIntervalMs),
    progressIntervalMs: testHook(config, TEST_HOOKS.progressIntervalMs),
  };
}
