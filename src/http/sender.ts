/**
 * Sends one request until it has a final answer: the single place where transport policy lives.
 * Every request of the connector goes through `send` (the API's pages and the OAuth token
 * endpoint alike), so retries, backoff, Retry-After, 429 waits and the once-per-request refresh
 * after a 401 behave the same everywhere and are tested once.
 *
 * For each attempt: take the authenticator's headers and a rate slot, send, decode the body, and
 * let the error handler resolve the answer. Then:
 *   - SUCCESS, IGNORE, RESET_PAGINATION: the final answer, returned to the caller;
 *   - a 401 (once per request, when the authenticator obtained new credentials): sent again;
 *   - RATE_LIMITED: the rate controller is cut and paused for the Retry-After (the handler's
 *     backoff, else the header: seconds, or an HTTP date), the wait is reported through
 *     `onRateLimited`, and the request is sent again, at most `maxRateLimitWaits` times;
 *   - RETRY (network errors, 5xx, error envelopes): sent again after the handler's backoff, else
 *     an exponential one with jitter, at most the handler's `maxRetries` times; then a
 *     transient_error;
 *   - FAIL: the ConnectorError with the resolution's failure type.
 * A wait the API asks for (Retry-After, on a 429 or a retried answer) longer than
 * `maxRetryAfterSeconds` is not waited for: the request fails at once with a transient_error
 * naming the wait, rather than holding the sync for days.
 * Time and randomness are injectable, so tests run all of this in milliseconds.
 */
import type { ErrorHandler, HttpAnswer, Resolution } from "../declarative/error-handler.js";
import { errorMessageOf, headerWaitSeconds } from "../declarative/error-handler.js";
import { ConnectorError, transientError } from "../errors.js";
import { type Clock, wallClock } from "./clock.js";
import { type HttpRequest, NetworkError, type Transport } from "./client.js";

/** What the sender needs of an authenticator (declarative/authenticator.ts implements it). */
export interface RequestAuthenticator {
  headers(): Promise<Record<string, string>>;
  /** After a 401: true when new credentials were obtained and one more attempt makes sense. */
  refreshAfterUnauthorized(used?: Record<string, string>): Promise<boolean>;
}

/** What the sender needs of the rate controller (rate-controller.ts implements it). */
export interface RateGate {
  /** Waits for a slot; returns its release. */
  acquire(): Promise<() => void>;
  onSuccess(): void;
  onRateLimited(retryAfterSeconds: number | undefined): void;
  /** Milliseconds until requests may be sent again. */
  pausedFor(): number;
  /** The longest Retry-After (s) its requests wait for (the runtime's setting), if it has one. */
  readonly maxPauseSeconds?: number;
}

/** The longest Retry-After waited for when neither the limits nor the rate gate say (5 minutes). */
export const DEFAULT_MAX_RETRY_AFTER_SECONDS = 300;

export interface SendLimits {
  /** Waits for 429s allowed for one request, so a permanently limited token ends. */
  maxRateLimitWaits: number;
  /** Base of the default exponential backoff (seconds), when the handler names no strategy. */
  backoffBaseSeconds: number;
  /** The longest wait (s) a Retry-After may ask for; default: the rate gate's, else DEFAULT_MAX_RETRY_AFTER_SECONDS. */
  maxRetryAfterSeconds?: number;
}

export interface SendPolicy {
  transport: Transport;
  /** Resolves each answer (the manifest's error handler, or the caller's own). */
  handler: ErrorHandler;
  auth?: RequestAuthenticator;
  rate?: RateGate;
  limits: SendLimits;
  /** What the request reads, for messages: "workspaces (whole stream)". */
  what: string;
  /** Told when a 429 pauses requests, with the epoch milliseconds at which they resume. */
  onRateLimited?: (resumeAt: number) => Promise<void>;
  /** The error once the retries are spent (default: "Reading <what> failed after N retries: …"). */
  retriesSpent?: (problem: string, attempts: number) => ConnectorError;
  /** Default: the wall clock and real timers. */
  clock?: Clock;
  /** Default: Math.random (the backoff's jitter). */
  random?: () => number;
}

/** The answer the request ends with: the caller reads it, skips it, or restarts its pagination. */
export interface FinalAnswer {
  kind: "success" | "ignored" | "reset";
  answer: HttpAnswer;
  /** The manifest's message for an IGNORE or RESET_PAGINATION, if any. */
  message?: string;
}

/** Seconds to wait after a 429, from the handler's strategies or the Retry-After header. */
function retryAfterOf(handler: ErrorHandler, answer: HttpAnswer, nowMs: number): number | undefined {
  return handler.backoff(answer, 1) ?? headerWaitSeconds(answer.headers["retry-after"], nowMs);
}

/** "300 s", "999999 s (11.6 days)": a wait, for messages. */
function describeWait(seconds: number): string {
  const s = `${Math.round(seconds)} s`;
  if (seconds >= 86_400) return `${s} (${(seconds / 86_400).toFixed(1)} days)`;
  if (seconds >= 3_600) return `${s} (${(seconds / 3_600).toFixed(1)} hours)`;
  if (seconds >= 120) return `${s} (${(seconds / 60).toFixed(1)} minutes)`;
  return s;
}

/** `seconds`, unless it is longer than the longest wait allowed: then the transient_error to fail with. */
function boundedWait(policy: SendPolicy, seconds: number | undefined, answer: HttpAnswer): number | undefined {
  const cap = policy.limits.maxRetryAfterSeconds ?? policy.rate?.maxPauseSeconds ?? DEFAULT_MAX_RETRY_AFTER_SECONDS;
  if (seconds === undefined || seconds <= cap) return seconds;
  const header = answer.headers["retry-after"];
  throw transientError(
    `The API asked to wait ${describeWait(seconds)} before ${policy.what} is requested again (${describeAnswer(answer)}` +
      `${header === undefined ? "" : `, Retry-After: ${header}`}), longer than the longest wait allowed ` +
      `(${describeWait(cap)}, the max_retry_after_seconds setting); try again later`,
  );
}

/** Exponential with jitter: between half and all of base × 2^(attempt-1), at most 60 s. */
function defaultBackoffSeconds(base: number, attempt: number, random: () => number): number {
  const ceiling = Math.min(60, base * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

export async function send(request: HttpRequest, policy: SendPolicy): Promise<FinalAnswer> {
  const { handler, auth, limits } = policy;
  const clock = policy.clock ?? wallClock;
  let retries = 0;
  let rateLimits = 0;
  let refreshed = false;
  for (;;) {
    const authHeaders = auth ? await auth.headers() : {};
    const answer = await exchange(policy, { ...request, headers: { ...request.headers, ...authHeaders } });
    if (answer.status === 401 && auth && !refreshed && (await auth.refreshAfterUnauthorized(authHeaders))) {
      refreshed = true;
      continue;
    }
    const resolution = handler.resolve(answer);
    switch (resolution.action) {
      case "SUCCESS":
      case "IGNORE":
      case "RESET_PAGINATION":
        policy.rate?.onSuccess();
        return finalAnswer(resolution, answer);
      case "RATE_LIMITED": {
        if (++rateLimits > limits.maxRateLimitWaits) {
          throw transientError(
            `Still rate limited after ${limits.maxRateLimitWaits} waits while reading ${policy.what}; try again later or lower the request rate`,
            describeAnswer(answer),
          );
        }
        await waitOutRateLimit(policy, clock, boundedWait(policy, retryAfterOf(handler, answer, clock.now()), answer));
        continue;
      }
      case "RETRY":
      case "REFRESH_TOKEN_THEN_RETRY": {
        if (resolution.action === "REFRESH_TOKEN_THEN_RETRY" && auth && !refreshed) {
          refreshed = await auth.refreshAfterUnauthorized(authHeaders);
        }
        if (++retries > handler.maxRetries) throw retriesSpentError(policy, request, resolution, answer);
        const seconds =
          boundedWait(policy, handler.backoff(answer, retries), answer) ??
          defaultBackoffSeconds(limits.backoffBaseSeconds, retries, policy.random ?? Math.random);
        await clock.sleep(seconds * 1000);
        continue;
      }
      case "FAIL":
      default:
        throw new ConnectorError(
          resolution.message ?? `Reading ${policy.what} failed: ${resolution.problem ?? describeAnswer(answer)}`,
          resolution.failureType,
          `${requestLine(request)} -> ${describeAnswer(answer)}`,
        );
    }
  }
}

/** One attempt inside a rate slot: the decoded answer, or a network failure as status 0. */
async function exchange(policy: SendPolicy, request: HttpRequest): Promise<HttpAnswer> {
  const release = policy.rate ? await policy.rate.acquire() : undefined;
  try {
    const result = await policy.transport(request);
    return { status: result.status, headers: result.headers, body: parseBody(result.text) };
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    return { status: 0, headers: {}, body: undefined, networkError: error.message };
  } finally {
    release?.();
  }
}

/** A 429: pause every request of the rate controller (or this one, without one) and report it. */
async function waitOutRateLimit(policy: SendPolicy, clock: Clock, seconds: number | undefined): Promise<void> {
  if (policy.rate) {
    policy.rate.onRateLimited(seconds);
    await policy.onRateLimited?.(clock.now() + policy.rate.pausedFor());
  } else {
    const ms = Math.max(0, (seconds ?? 1) * 1000);
    await policy.onRateLimited?.(clock.now() + ms);
    await clock.sleep(ms);
  }
}

function retriesSpentError(policy: SendPolicy, request: HttpRequest, resolution: Resolution, answer: HttpAnswer): ConnectorError {
  const problem = resolution.message ?? resolution.problem ?? describeAnswer(answer);
  const attempts = policy.handler.maxRetries + 1;
  if (policy.retriesSpent) return policy.retriesSpent(problem, attempts);
  return transientError(`Reading ${policy.what} failed after ${policy.handler.maxRetries} retries: ${problem}`, requestLine(request));
}

function finalAnswer(resolution: Resolution, answer: HttpAnswer): FinalAnswer {
  const kind = resolution.action === "SUCCESS" ? "success" : resolution.action === "IGNORE" ? "ignored" : "reset";
  return resolution.message === undefined ? { kind, answer } : { kind, answer, message: resolution.message };
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** "HTTP 403: <API message>" or the network error, for logs and error messages. */
export function describeAnswer(answer: HttpAnswer): string {
  if (answer.status === 0) return `network error: ${answer.networkError ?? "unknown"}`;
  const apiMessage = errorMessageOf(answer.body);
  if (apiMessage) return `HTTP ${answer.status}: ${apiMessage}`;
  if (answer.body === undefined && answer.status >= 200 && answer.status < 300) {
    return `HTTP ${answer.status} with a body that is not valid JSON`;
  }
  return `HTTP ${answer.status}`;
}

/** `GET https://host/path`: the request for internal messages. */
function requestLine(request: HttpRequest): string {
  return `${request.method} ${urlForMessages(request.url)}`;
}

/**
 * The URL's origin and path only: its query (long, and no business of a message), fragment and
 * any user:password part are dropped.
 */
export function urlForMessages(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.replace(/[?#].*$/s, "");
  }
}
