/**
 * DefaultErrorHandler, CompositeErrorHandler, HttpResponseFilter and the backoff strategies: what
 * the manifest says an HTTP answer means. Airbyte's resolution order: the first matching response
 * filter wins, then 2xx is success, then the built-in status mapping. `checkingRecords` adds the
 * one check the manifest cannot spell: a 2xx whose records are not where the record selector
 * looks is not a success (an error envelope is retried, any other shape fails).
 * The HTTP sender (http/sender.ts) acts on the resolutions: retries, waits, refreshes.
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

/** What came back for one request: an HTTP response, or a network failure (status 0). */
export interface HttpAnswer {
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
  /** A manifest-provided message for FAIL/IGNORE, already interpolated; shown as it is. */
  message?: string;
  /** What the runtime found wrong with the answer, when the status alone does not say it. */
  problem?: string;
}

export interface ErrorHandler {
  readonly maxRetries: number;
  resolve(answer: HttpAnswer): Resolution;
  /** Seconds to wait before retry `attempt` (1-based); undefined = use the default backoff. */
  backoff(answer: HttpAnswer, attempt: number): number | undefined;
}

/** The message most APIs put in an error body (`errors[].message`, `message`, `error`, `detail`). */
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

/**
 * A 3xx: the requests go to the wrong place (redirects are never followed, so the credentials
 * never leave for another host). Names the Location, without its query.
 */
function redirectProblem(answer: HttpAnswer): string {
  const location = answer.headers.location?.replace(/[?#].*$/s, "");
  return location
    ? `the base URL is wrong: the server redirects to ${location} (HTTP ${answer.status})`
    : `the base URL is wrong: the server answers HTTP ${answer.status}, a redirect without a Location`;
}

function defaultResolution(answer: HttpAnswer): Resolution {
  const s = answer.status;
  if (s === 0) return { action: "RETRY", failureType: "transient_error" };
  if (s >= 200 && s < 300) {
    return answer.body === undefined
      ? { action: "RETRY", failureType: "transient_error", problem: "The response body is not valid JSON" }
      : { action: "SUCCESS", failureType: "system_error" };
  }
  if (s >= 300 && s < 400) return { action: "FAIL", failureType: "config_error", problem: redirectProblem(answer) };
  if (s === 401 || s === 403) return { action: "FAIL", failureType: "config_error" };
  if (s === 408) return { action: "RETRY", failureType: "transient_error" };
  if (s === 429) return { action: "RATE_LIMITED", failureType: "transient_error" };
  if (s >= 500) return { action: "RETRY", failureType: "transient_error" };
  return { action: "FAIL", failureType: "system_error" };
}

interface ResponseFilter {
  matches(answer: HttpAnswer): boolean;
  resolution(answer: HttpAnswer): Resolution;
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
    matches(answer) {
      if (codes.includes(answer.status)) return true;
      if (contains && (errorMessageOf(answer.body) ?? "").includes(contains)) return true;
      if (predicate && answer.status !== 0) {
        return interpolateBoolean(predicate, { config, response: answer.body ?? {}, headers: answer.headers });
      }
      return false;
    },
    resolution(answer) {
      const base = defaultResolution(answer);
      return {
        action: actionName as ResponseAction,
        failureType: failureType ?? (actionName === "RETRY" || actionName === "RATE_LIMITED" ? "transient_error" : base.failureType),
        ...(messageTemplate
          ? { message: interpolateString(messageTemplate, { config, response: answer.body ?? {}, headers: answer.headers }) }
          : {}),
      };
    },
  };
}

/**
 * A wait header's value in seconds (Retry-After's two forms): a number of seconds, or an HTTP date
 * (the seconds from `nowMs` until then, 0 for a date past). Undefined when absent or neither.
 */
export function headerWaitSeconds(raw: string | undefined, nowMs: number): number | undefined {
  const text = raw?.trim();
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds : undefined;
  // An HTTP date names its weekday or month: a bare number was handled above.
  const date = /[A-Za-z]/.test(text) ? Date.parse(text) : NaN;
  return Number.isFinite(date) ? Math.max(0, (date - nowMs) / 1000) : undefined;
}

type Backoff = (answer: HttpAnswer, attempt: number) => number | undefined;

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
      return (answer) => {
        const raw = answer.headers[header];
        if (raw === undefined) return undefined;
        const match = regex?.exec(raw);
        // Without a regex, the header may be an HTTP date too (Retry-After's other form).
        const seconds = regex ? Number(match?.[1] ?? match?.[0]) : headerWaitSeconds(raw, Date.now());
        if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
        return max !== undefined ? Math.min(seconds, max) : seconds;
      };
    }
    case "WaitUntilTimeFromHeader": {
      const header = String(node.header ?? "").toLowerCase();
      const minWait = Number(node.min_wait ?? 0);
      return (answer) => {
        const raw = Number(answer.headers[header]);
        if (!Number.isFinite(raw)) return undefined;
        return Math.max(minWait, raw - Date.now() / 1000);
      };
    }
    case "ExponentialBackoffStrategy": {
      const factor = Number(interpolate(node.factor, { config }, 5));
      return (_answer, attempt) => withJitter(factor * 2 ** (attempt - 1));
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
      resolve(answer) {
        for (const h of handlers) {
          const r = h.resolve(answer);
          if (r.action !== "FAIL" || h === handlers[handlers.length - 1]) return r;
        }
        return defaultResolution(answer);
      },
      backoff(answer, attempt) {
        for (const h of handlers) {
          const b = h.backoff(answer, attempt);
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
    resolve(answer) {
      const filter = filters.find((f) => f.matches(answer));
      return filter ? filter.resolution(answer) : defaultResolution(answer);
    },
    backoff(answer, attempt) {
      for (const b of backoffs) {
        const seconds = b(answer, attempt);
        if (seconds !== undefined) return seconds;
      }
      return undefined;
    },
  };
}

/**
 * The handler, with a check of the 2xx answers it resolves to SUCCESS: `shapeProblem` (the record
 * selector's) says what is wrong when the records are not where the manifest says. Such an answer
 * carrying an error message (a proxy or an overloaded edge answering 200) is retried like a 5xx;
 * any other shape fails as a system_error naming it. A status the manifest maps to SUCCESS (a 412
 * that carries a fresh sync token) is read for what it carries, records or not.
 */
export function checkingRecords(handler: ErrorHandler, shapeProblem: (body: unknown) => string | undefined): ErrorHandler {
  return {
    maxRetries: handler.maxRetries,
    backoff: (answer, attempt) => handler.backoff(answer, attempt),
    resolve(answer) {
      const resolution = handler.resolve(answer);
      if (resolution.action !== "SUCCESS" || answer.status < 200 || answer.status >= 300) return resolution;
      const shape = shapeProblem(answer.body);
      if (shape === undefined) return resolution;
      const apiMessage = errorMessageOf(answer.body);
      if (apiMessage !== undefined) {
        return { action: "RETRY", failureType: "transient_error", problem: `HTTP ${answer.status} with an error instead of records: ${apiMessage}` };
      }
      return { action: "FAIL", failureType: "system_error", problem: `the API answered HTTP ${answer.status} with a body of an unexpected shape (${shape})` };
    },
  };
}
