/**
 * DefaultErrorHandler, CompositeErrorHandler, HttpResponseFilter and the backoff strategies, with
 * Airbyte's resolution order (PROTOCOL-NOTES §2.3): the first matching response filter wins, then
 * 2xx is success, then the built-in status mapping.
 */
import type { FailureType } from "../errors.js";
import { systemError } from "../errors.js";
import { interpolate, interpolateBoolean, interpolateString } from "../manifest/interpolation.js";
import { type ManifestNode, isNode, nodeType, optionalString, unsupported } from "./node.js";

export type ResponseAction =
  | "SUCCESS"
  | "FAIL"
  | "RETRY"
  | "IGNORE"
  | "RATE_LIMITED"
  | "RESET_PAGINATION"
  | "REFRESH_TOKEN_THEN_RETRY";

const ACTIONS: ReadonlySet<string> = new Set([
  "SUCCESS",
  "FAIL",
  "RETRY",
  "IGNORE",
  "RATE_LIMITED",
  "RESET_PAGINATION",
  "REFRESH_TOKEN_THEN_RETRY",
]);

/** What came back: an HTTP response, or a network failure (status 0). */
export interface Outcome {
  status: number;
  headers: Record<string, string>;
  /** Decoded JSON body, or undefined when the body is not JSON. */
  body: unknown;
  /** Network error text when status is 0 (reset, timeout, truncated body). */
  networkError?: string;
}

export interface Resolution {
  action: ResponseAction;
  failureType: FailureType;
  /** A manifest-provided message for FAIL/IGNORE, already interpolated. */
  message?: string;
}

export interface ErrorHandler {
  readonly maxRetries: number;
  resolve(outcome: Outcome): Resolution;
  /** Seconds to wait before retry `attempt` (1-based); undefined = use the default backoff. */
  backoff(outcome: Outcome, attempt: number): number | undefined;
}

/** The message Asana (and most APIs) put in an error body. */
export function errorMessageOf(body: unknown): string | undefined {
  if (!isNode(body)) return undefined;
  if (Array.isArray(body.errors)) {
    const messages = body.errors
      .map((e) => (isNode(e) && typeof e.message === "string" ? e.message : undefined))
      .filter((m): m is string => !!m);
    if (messages.length) return messages.join("; ");
  }
  for (const key of ["message", "error", "detail"]) if (typeof body[key] === "string") return body[key] as string;
  return undefined;
}

function defaultResolution(outcome: Outcome): Resolution {
  const s = outcome.status;
  if (s === 0) return { action: "RETRY", failureType: "transient_error" };
  if (s >= 200 && s < 300) {
    return outcome.body === undefined
      ? { action: "RETRY", failureType: "transient_error", message: "The response body is not valid JSON" }
      : { action: "SUCCESS", failureType: "system_error" };
  }
  if (s === 401 || s === 403) return { action: "FAIL", failureType: "config_error" };
  if (s === 408) return { action: "RETRY", failureType: "transient_error" };
  if (s === 429) return { action: "RATE_LIMITED", failureType: "transient_error" };
  if (s >= 500) return { action: "RETRY", failureType: "transient_error" };
  return { action: "FAIL", failureType: "system_error" };
}

interface ResponseFilter {
  matches(outcome: Outcome): boolean;
  resolution(outcome: Outcome): Resolution;
}

function buildFilter(node: ManifestNode, where: string, config: Record<string, unknown>): ResponseFilter {
  if (nodeType(node) !== "HttpResponseFilter") unsupported(node, where, ["HttpResponseFilter"]);
  const codes = Array.isArray(node.http_codes) ? node.http_codes.map(Number) : [];
  const contains = optionalString(node, "error_message_contains", where);
  const predicate = optionalString(node, "predicate", where);
  const actionName = String(node.action ?? "");
  if (!ACTIONS.has(actionName)) throw systemError(`Manifest: ${where}.action ${JSON.stringify(node.action)} is not an Airbyte action`);
  const failure = node.failure_type;
  const failureType: FailureType | undefined =
    failure === "config_error" || failure === "system_error" || failure === "transient_error" ? failure : undefined;
  const messageTemplate = optionalString(node, "error_message", where);
  return {
    matches(outcome) {
      if (codes.includes(outcome.status)) return true;
      if (contains && (errorMessageOf(outcome.body) ?? "").includes(contains)) return true;
      if (predicate && outcome.status !== 0) {
        return interpolateBoolean(predicate, { config, response: outcome.body ?? {}, headers: outcome.headers });
      }
      return false;
    },
    resolution(outcome) {
      const base = defaultResolution(outcome);
      return {
        action: actionName as ResponseAction,
        failureType: failureType ?? (actionName === "RETRY" || actionName === "RATE_LIMITED" ? "transient_error" : base.failureType),
        ...(messageTemplate
          ? { message: interpolateString(messageTemplate, { config, response: outcome.body ?? {}, headers: outcome.headers }) }
          : {}),
      };
    },
  };
}

type Backoff = (outcome: Outcome, attempt: number) => number | undefined;

function buildBackoff(node: ManifestNode, where: string, config: Record<string, unknown>): Backoff {
  const jitter = Number(interpolate(node.jitter_range_in_seconds, { config }, 0));
  const withJitter = (seconds: number): number => seconds + (jitter > 0 ? Math.random() * jitter : 0);
  switch (nodeType(node)) {
    case "WaitTimeFromHeader": {
      const header = String(node.header ?? "").toLowerCase();
      let regex: RegExp | undefined;
      try {
        regex = typeof node.regex === "string" ? new RegExp(node.regex) : undefined;
      } catch (error) {
        throw systemError(`Manifest: ${where}.regex is not a valid regular expression`, String(error));
      }
      const max = node.max_waiting_time_in_seconds === undefined ? undefined : Number(node.max_waiting_time_in_seconds);
      return (outcome) => {
        const raw = outcome.headers[header];
        if (raw === undefined) return undefined;
        const match = regex?.exec(raw);
        const text = regex ? (match?.[1] ?? match?.[0]) : raw;
        const seconds = Number(text);
        if (!Number.isFinite(seconds) || seconds < 0) return undefined;
        return max !== undefined ? Math.min(seconds, max) : seconds;
      };
    }
    case "WaitUntilTimeFromHeader": {
      const header = String(node.header ?? "").toLowerCase();
      const minWait = Number(node.min_wait ?? 0);
      return (outcome) => {
        const raw = Number(outcome.headers[header]);
        if (!Number.isFinite(raw)) return undefined;
        return Math.max(minWait, raw - Date.now() / 1000);
      };
    }
    case "ExponentialBackoffStrategy": {
      const factor = Number(interpolate(node.factor, { config }, 5));
      return (_outcome, attempt) => withJitter(factor * 2 ** (attempt - 1));
    }
    case "ConstantBackoffStrategy": {
      const seconds = Number(interpolate(node.backoff_time_in_seconds, { config }));
      return () => withJitter(seconds);
    }
    default:
      return unsupported(node, where, [
        "WaitTimeFromHeader",
        "WaitUntilTimeFromHeader",
        "ExponentialBackoffStrategy",
        "ConstantBackoffStrategy",
      ]);
  }
}

export function buildErrorHandler(
  node: ManifestNode | undefined,
  where: string,
  config: Record<string, unknown>,
): ErrorHandler {
  if (!node) return buildDefault({ type: "DefaultErrorHandler" }, where, config);
  if (nodeType(node) === "CompositeErrorHandler") {
    const handlers = Array.isArray(node.error_handlers)
      ? node.error_handlers.filter(isNode).map((h, i) => buildErrorHandler(h, `${where}.error_handlers[${i}]`, config))
      : [];
    if (!handlers.length) throw systemError(`Manifest: ${where}.error_handlers must list at least one handler`);
    // Composite: the first handler whose filters match decides; otherwise the last one's default.
    return {
      maxRetries: Math.max(...handlers.map((h) => h.maxRetries)),
      resolve(outcome) {
        for (const h of handlers) {
          const r = h.resolve(outcome);
          if (r.action !== "FAIL" || h === handlers[handlers.length - 1]) return r;
        }
        return defaultResolution(outcome);
      },
      backoff(outcome, attempt) {
        for (const h of handlers) {
          const b = h.backoff(outcome, attempt);
          if (b !== undefined) return b;
        }
        return undefined;
      },
    };
  }
  return buildDefault(node, where, config);
}

function buildDefault(node: ManifestNode, where: string, config: Record<string, unknown>): ErrorHandler {
  if (nodeType(node) !== "DefaultErrorHandler") {
    unsupported(node, where, ["DefaultErrorHandler", "CompositeErrorHandler"]);
  }
  const filters = Array.isArray(node.response_filters)
    ? node.response_filters.filter(isNode).map((f, i) => buildFilter(f, `${where}.response_filters[${i}]`, config))
    : [];
  const backoffs = Array.isArray(node.backoff_strategies)
    ? node.backoff_strategies.filter(isNode).map((b, i) => buildBackoff(b, `${where}.backoff_strategies[${i}]`, config))
    : [];
  const maxRetries = Number(interpolate(node.max_retries, { config }, 5));
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw systemError(`Manifest: ${where}.max_retries must be a non-negative integer`);
  return {
    maxRetries,
    resolve(outcome) {
      const filter = filters.find((f) => f.matches(outcome));
      return filter ? filter.resolution(outcome) : defaultResolution(outcome);
    },
    backoff(outcome, attempt) {
      for (const b of backoffs) {
        const seconds = b(outcome, attempt);
        if (seconds !== undefined) return seconds;
      }
      return undefined;
    },
  };
}
