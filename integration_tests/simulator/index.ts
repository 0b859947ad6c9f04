/**
 * A local Asana API simulator: a real HTTP server on 127.0.0.1 serving a deterministic dataset.
 *
 *   const sim = await startSimulator({ seed: 1, size: "medium" });
 *   fetch(`${sim.baseUrl}/workspaces`, { headers: { Authorization: `Bearer ${sim.token}` } });
 *   ...
 *   await sim.close();
 *
 * Two kinds of token: personal ones (`sim.token`, and OAuth access tokens) list the portfolios
 * their user owns and get 403 from the audit log; a service account's (`sim.serviceAccountToken`)
 * lists every portfolio and reads the audit log. `dataset.groundTruth(stream, viewer)` and
 * `dataset.minimalRequests(viewer)` say what a perfect sync with either gets.
 *
 * Optional behaviour (options.ts), all changeable at runtime with `sim.configure(...)`: a per-token
 * request budget and concurrent-GET limit (429 + Retry-After), deterministic transient faults,
 * permanent per-partition 402/403/404s, expiring or repeating offsets, and an OAuth token endpoint
 * with expiring access tokens. Mutations between syncs (`sim.mutate`) change the dataset and feed
 * the Events API; a simulated clock (`sim.now`, `sim.advanceClock`) dates them and expires tokens.
 */
import { SimClock } from "./clock.js";
import { Dataset, type DatasetSize } from "./dataset.js";
import type { AsanaEvent } from "./events.js";
import type { MutationResult, MutationSpec } from "./mutations.js";
import { applyOptions, DEFAULT_CONFIG, RUNTIME_OPTION_KEYS, type RuntimeConfig, type RuntimeOptions } from "./options.js";
import { ECHO_ERROR_PREFIX, ECHO_PREFIX, SimulatorServer, TOKEN_PATH } from "./server.js";
import type { RequestStats } from "./stats.js";

export { Dataset, type DatasetSize, type MinimalRequests, type SampleKind, type StreamName, STREAM_NAMES, type Viewer } from "./dataset.js";
export { AUDIT_LOG_FORBIDDEN_MESSAGE } from "./routes.js";
export type { RequestStats } from "./stats.js";
export type { AsanaEvent, EventPage } from "./events.js";
export { SYNC_INVALID_MESSAGE, SYNC_TOKEN_TTL_MS } from "./events.js";
export type { MutationResult, MutationSpec } from "./mutations.js";
export {
  type BudgetOptions,
  FAULT_KINDS,
  type FaultKind,
  type FaultOptions,
  type OAuthOptions,
  OptionsError,
  type PartitionFault,
  type RuntimeConfig,
  type RuntimeOptions,
} from "./options.js";
export { faultFor } from "./faults.js";
export { RATE_LIMIT_MESSAGE } from "./ratelimit.js";
export { OFFSET_EXPIRED_MESSAGE } from "./pagination.js";
export { PAYMENT_REQUIRED_MESSAGE } from "./server.js";
export { fullRecordPaths } from "./projection.js";
export { NULL_RATE, STRUCTURAL_FIELDS, UNLISTED_RATE } from "./records.js";

export const DEFAULT_TOKEN = "sim-pat-0001";
export const DEFAULT_SERVICE_ACCOUNT_TOKEN = "sim-sa-0001";

export interface SimulatorOptions extends RuntimeOptions {
  seed?: number;
  size?: DatasetSize;
  /** 0 = a random free port. */
  port?: number;
  /** Accepted bearer tokens (personal access tokens), default ["sim-pat-0001"]. */
  tokens?: string[];
  /** Accepted service-account tokens, default ["sim-sa-0001"]: every portfolio, and the audit log. */
  serviceAccountTokens?: string[];
  /** The simulated clock's start, epoch ms (default: real time). */
  startTime?: number;
}

export interface Simulator {
  /** "http://127.0.0.1:PORT/api/1.0" */
  baseUrl: string;
  /** "http://127.0.0.1:PORT" */
  origin: string;
  /** The OAuth token endpoint, "http://127.0.0.1:PORT/-/oauth_token". */
  tokenUrl: string;
  /** A base URL whose server echoes each request's headers in a 200 list page: ".../echo/api/1.0". */
  echoBaseUrl: string;
  /** A base URL whose server answers 500 with the request's headers in an HTML page: ".../echo-error/api/1.0". */
  echoErrorBaseUrl: string;
  /** The first accepted token (a personal access token). */
  token: string;
  /** The first accepted service-account token. */
  serviceAccountToken: string;
  stats(): RequestStats;
  resetStats(): void;
  /** Ground truth access (reflects mutations). */
  dataset: Dataset;
  close(): Promise<void>;

  /** Changes runtime options; a key present with null/undefined switches that feature off (resets it). Throws OptionsError. */
  configure(options: RuntimeOptions): void;
  /** The runtime configuration in force. */
  config(): RuntimeConfig;
  /** Forgets every token's request window (the budget starts empty). */
  resetRateLimits(): void;
  /** The simulated clock, epoch ms (real time unless advanced or started elsewhere). */
  now(): number;
  /** Moves the simulated clock forward; returns the new time. */
  advanceClock(ms: number): number;
  /** Changes the dataset (see mutations.ts) and records the events; returns exactly what changed. */
  mutate(spec: MutationSpec): MutationResult;
  /** Every OAuth access token issued so far expires now (the next request with one gets 401). */
  expireAccessTokens(): void;
  /** Every event recorded on a resource (project or task gid), oldest first. */
  eventsFor(resource: string): AsanaEvent[];
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const tokens = opts.tokens !== undefined && opts.tokens.length > 0 ? [...opts.tokens] : [DEFAULT_TOKEN];
  const serviceAccountTokens =
    opts.serviceAccountTokens !== undefined && opts.serviceAccountTokens.length > 0 ? [...opts.serviceAccountTokens] : [DEFAULT_SERVICE_ACCOUNT_TOKEN];
  const dataset = new Dataset(opts.seed ?? 1, opts.size ?? "small");
  const runtime: Record<string, unknown> = {};
  for (const key of RUNTIME_OPTION_KEYS) if (opts[key] !== undefined) runtime[key] = opts[key];
  const config = applyOptions(DEFAULT_CONFIG, runtime);
  const clock = new SimClock(opts.startTime);
  const server = new SimulatorServer({ dataset, tokens, serviceAccountTokens, port: opts.port ?? 0, config, clock });
  await server.listen();
  return {
    baseUrl: server.apiBase,
    origin: server.origin,
    tokenUrl: `${server.origin}${TOKEN_PATH}`,
    echoBaseUrl: `${server.origin}${ECHO_PREFIX}/api/1.0`,
    echoErrorBaseUrl: `${server.origin}${ECHO_ERROR_PREFIX}/api/1.0`,
    token: tokens[0]!,
    serviceAccountToken: serviceAccountTokens[0]!,
    stats: () => server.stats.snapshot(),
    resetStats: () => server.stats.reset(),
    dataset,
    close: () => server.close(),
    configure: (options) => {
      server.configure(options);
    },
    config: () => server.currentConfig,
    resetRateLimits: () => server.limiter.reset(),
    now: () => clock.now(),
    advanceClock: (ms) => clock.advance(ms),
    mutate: (spec) => server.mutate(spec),
    expireAccessTokens: () => server.oauth.expireAll(),
    eventsFor: (resource) => server.events.eventsFor(resource),
  };
}
