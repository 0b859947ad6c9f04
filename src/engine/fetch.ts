/**
 * Fetches one page of one partition under the stream's error handler and the rate controller:
 * the single place where an HTTP answer becomes records, a retry, a skip or an error.
 */
import type { ErrorHandler, Outcome } from "../declarative/error-handler.js";
import { errorMessageOf } from "../declarative/error-handler.js";
import type { Record_ } from "../declarative/record-selector.js";
import type { RequestParts } from "../declarative/request-option.js";
import type { StreamDefinition } from "../declarative/stream.js";
import { ConnectorError, transientError } from "../errors.js";
import { type HttpClient, NetworkError } from "../http/client.js";
import type { RateController } from "../http/rate-controller.js";
import type { SyncEmitter } from "../protocol/emitter.js";
import { setTimeout as sleep } from "node:timers/promises";

export type Slice = Record<string, unknown>;

export type PageOutcome =
  | { kind: "page"; records: Record_[]; next: unknown; body: unknown }
  /** The error handler said IGNORE: the partition yields nothing more. */
  | { kind: "ignored"; reason: string }
  /** The error handler said RESET_PAGINATION (e.g. an expired offset). */
  | { kind: "reset"; reason: string };

export interface FetchEnvironment {
  http: HttpClient;
  rate: RateController;
  emitter: SyncEmitter;
  config: Record<string, unknown>;
  /** Upper bound on waits for 429s for one request, so a permanently limited token ends. */
  maxRateLimitRetries: number;
  /** Default exponential backoff base in seconds when the manifest sets no strategy. */
  backoffBaseSeconds: number;
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
export function describeOutcome(outcome: Outcome): string {
  if (outcome.status === 0) return `network error: ${outcome.networkError ?? "unknown"}`;
  const apiMessage = errorMessageOf(outcome.body);
  if (apiMessage) return `HTTP ${outcome.status}: ${apiMessage}`;
  if (outcome.body === undefined && outcome.status >= 200 && outcome.status < 300) {
    return `HTTP ${outcome.status} with a body that is not valid JSON`;
  }
  return `HTTP ${outcome.status}`;
}

/** The partition, briefly: `project_gid=123` (parent_slice omitted), or "whole stream". */
export function describeSlice(slice: Slice): string {
  const parts = Object.entries(slice)
    .filter(([k]) => k !== "parent_slice" && k !== "extra_fields")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(", ") : "whole stream";
}

function defaultBackoffSeconds(base: number, attempt: number): number {
  const ceiling = Math.min(60, base * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function retryAfterOf(handler: ErrorHandler, outcome: Outcome): number | undefined {
  const fromStrategy = handler.backoff(outcome, 1);
  if (fromStrategy !== undefined) return fromStrategy;
  const header = Number(outcome.headers["retry-after"]);
  return Number.isFinite(header) && header >= 0 ? header : undefined;
}

export async function fetchPage(
  env: FetchEnvironment,
  stream: StreamDefinition,
  slice: Slice,
  token: unknown,
  extra: RequestParts,
): Promise<PageOutcome> {
  const { requester, paginator, selector } = stream;
  const handler = requester.errorHandler;
  const request = requester.build(slice, token, paginator.request(token), extra);
  let retries = 0;
  let rateLimits = 0;
  let refreshed = false;
  for (;;) {
    const authHeaders = await requester.authenticator.headers();
    const release = await env.rate.acquire();
    let outcome: Outcome;
    try {
      const result = await env.http.get(request.url, { ...request.headers, ...authHeaders });
      outcome = { status: result.status, headers: result.headers, body: parseBody(result.text) };
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      outcome = { status: 0, headers: {}, body: undefined, networkError: error.message };
    } finally {
      release();
    }

    if (outcome.status === 401 && !refreshed && (await requester.authenticator.refreshAfterUnauthorized(authHeaders))) {
      refreshed = true;
      continue;
    }
    const what = `${stream.name} (${describeSlice(slice)})`;
    let resolution = handler.resolve(outcome);
    let shape: string | undefined;
    // Checked for 2xx answers only: a status the manifest maps to SUCCESS (the Events API's 412
    // with a fresh sync token) is read for what it carries, records or not.
    const ok = outcome.status >= 200 && outcome.status < 300;
    if (resolution.action === "SUCCESS" && ok && (shape = selector.shapeProblem(outcome.body)) !== undefined) {
      const apiMessage = errorMessageOf(outcome.body);
      // An error envelope with a success status (a proxy, an overloaded edge): retried like a 5xx.
      if (apiMessage !== undefined) {
        resolution = { action: "RETRY", failureType: "transient_error", message: `HTTP ${outcome.status} with an error instead of records: ${apiMessage}` };
      } else {
        throw new ConnectorError(
          `Reading ${what} failed: Asana answered HTTP ${outcome.status} with a body of an unexpected shape (${shape})`,
          "system_error",
          `GET ${redactQuery(request.url)}`,
        );
      }
    }
    switch (resolution.action) {
      case "SUCCESS": {
        env.rate.onSuccess();
        const context = requester.context(slice, token);
        const records = selector.select(outcome.body, context);
        const next = paginator.next({ body: outcome.body, headers: outcome.headers }, records, token);
        return { kind: "page", records, next, body: outcome.body };
      }
      case "IGNORE":
        env.rate.onSuccess();
        // The manifest's explanation and Asana's own words (e.g. which plan a 402 needs).
        return {
          kind: "ignored",
          reason: resolution.message ? `${resolution.message} (${describeOutcome(outcome)})` : describeOutcome(outcome),
        };
      case "RESET_PAGINATION":
        env.rate.onSuccess();
        return { kind: "reset", reason: resolution.message ?? describeOutcome(outcome) };
      case "RATE_LIMITED": {
        rateLimits++;
        if (rateLimits > env.maxRateLimitRetries) {
          throw transientError(
            `Still rate limited after ${env.maxRateLimitRetries} waits while reading ${what}; try again later or lower the request rate`,
            describeOutcome(outcome),
          );
        }
        const seconds = retryAfterOf(handler, outcome);
        env.rate.onRateLimited(seconds);
        await env.emitter.rateLimited(stream.name, Date.now() + env.rate.pausedFor());
        continue;
      }
      case "RETRY":
      case "REFRESH_TOKEN_THEN_RETRY": {
        if (resolution.action === "REFRESH_TOKEN_THEN_RETRY" && !refreshed) {
          refreshed = await requester.authenticator.refreshAfterUnauthorized(authHeaders);
        }
        retries++;
        if (retries > handler.maxRetries) {
          throw transientError(
            `Reading ${what} failed after ${handler.maxRetries} retries: ${resolution.message ?? describeOutcome(outcome)}`,
            `GET ${redactQuery(request.url)}`,
          );
        }
        const seconds = handler.backoff(outcome, retries) ?? defaultBackoffSeconds(env.backoffBaseSeconds, retries);
        await sleep(seconds * 1000);
        continue;
      }
      case "FAIL":
      default:
        throw new ConnectorError(
          resolution.message ?? `Reading ${what} failed: ${describeOutcome(outcome)}`,
          resolution.failureType,
          `GET ${redactQuery(request.url)} -> ${describeOutcome(outcome)}`,
        );
    }
  }
}

/** The URL without its query string (query values can be long; none are secret, but keep it short). */
function redactQuery(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? url : url.slice(0, q);
}
