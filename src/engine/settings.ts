/**
 * Runtime settings from the config and the manifest:
 * - concurrency: the manifest's `concurrency_level` (Airbyte's `num_workers` in Asana's spec);
 * - request rate ceiling: config `max_requests_per_second`, else the manifest's `api_budget`
 *   (the tightest policy that applies to every request), else unlimited;
 * - starting rate: config `requests_per_second` (AIMD grows it from there).
 */
import type { DeclarativeSource } from "../declarative/source.js";
import { durationSeconds } from "../declarative/duration.js";
import { isNode } from "../declarative/node.js";
import { configError } from "../errors.js";
import { interpolate } from "../manifest/interpolation.js";

export interface RuntimeSettings {
  concurrency: number;
  initialRate: number;
  maxRate: number;
  requestTimeoutMs: number;
  backoffBaseSeconds: number;
  /** Minimum time between two checkpoints of a stream (test knob `_checkpoint_interval_ms`, default 1 s). */
  checkpointIntervalMs: number;
}

export const DEFAULT_INITIAL_RATE = 1.25;

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

function positiveNumber(config: Record<string, unknown>, key: string): number | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !(value > 0)) throw configError(`The config's ${key} must be a number greater than 0`);
  return value;
}

function nonNegativeNumber(config: Record<string, unknown>, key: string): number | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !(value >= 0)) throw configError(`The config's ${key} must be a number of 0 or more`);
  return value;
}

export function runtimeSettings(
  root: Record<string, unknown>,
  source: DeclarativeSource,
  config: Record<string, unknown>,
): RuntimeSettings {
  const maxRate = positiveNumber(config, "max_requests_per_second") ?? budgetRate(root, config) ?? 1000;
  const initialRate = Math.min(positiveNumber(config, "requests_per_second") ?? DEFAULT_INITIAL_RATE, maxRate);
  return {
    concurrency: source.concurrency,
    initialRate,
    maxRate,
    requestTimeoutMs: (positiveNumber(config, "request_timeout_seconds") ?? 60) * 1000,
    backoffBaseSeconds: positiveNumber(config, "_backoff_base_seconds") ?? 1,
    checkpointIntervalMs: nonNegativeNumber(config, "_checkpoint_interval_ms") ?? 1000,
  };
}
