/**
 * Fetches one page of one partition: builds the request from the stream's requester and
 * paginator, sends it (http/sender.ts: retries, waits and refreshes happen there, under the
 * stream's error handler and the shared rate controller), and turns the final answer into
 * records and the next page token, a skip, or a restart of the pagination.
 *
 * A page is checked before any of its records is emitted: a paginated stream's records must come
 * as a list (an object is one record only for a stream without pagination: a lookup such as
 * `task_lookup`), every record must carry its primary key with the type its schema declares, and
 * the text must hold no integer beyond 2^53 (JSON.parse would round it, e.g. a numeric `gid`).
 */
import { checkingRecords } from "../declarative/error-handler.js";
import { findUnsafeInteger } from "../declarative/json-text.js";
import { type ApiRecord, valueAt } from "../declarative/record-selector.js";
import type { RequestParts } from "../declarative/request-option.js";
import type { StreamDefinition } from "../declarative/stream.js";
import { transformRecords } from "../declarative/transformations.js";
import type { HttpResult, RequestTarget } from "../http/client.js";
import type { Clock } from "../http/clock.js";
import type { RateController } from "../http/rate-controller.js";
import { describeAnswer, send } from "../http/sender.js";
import { systemError } from "../errors.js";
import { propertySchema } from "../json-schema.js";

export type Slice = Record<string, unknown>;

/** One page's result, as the engine sees it. */
export type PageResult =
  | {
      kind: "page";
      records: ApiRecord[];
      next: unknown;
      body: unknown;
      /** The page's records before the record filter (and transformations): what config_must_match reads. */
      extracted: ApiRecord[];
    }
  /** The error handler said IGNORE: the partition yields nothing more. */
  | { kind: "ignored"; reason: string }
  /** The error handler said RESET_PAGINATION (e.g. an expired offset). */
  | { kind: "reset"; reason: string };

export interface FetchEnvironment {
  /** GETs a URL (an HttpClient, or a fake in tests). */
  http: { get(url: string, headers: Record<string, string>, target?: RequestTarget): Promise<HttpResult> };
  rate: RateController;
  /** Told when a 429 pauses the requests of `stream`, with the epoch ms at which they resume. */
  onRateLimited: (stream: string, resumeAt: number) => Promise<void>;
  config: Record<string, unknown>;
  /** Upper bound on waits for 429s for one request, so a permanently limited token ends. */
  maxRateLimitRetries: number;
  /** Default exponential backoff base in seconds when the manifest sets no strategy. */
  backoffBaseSeconds: number;
  /** Default: the wall clock and real timers. */
  clock?: Clock;
}

/** The log line of a rate-limit wait where no stream status reports it (a check, or a parent-only stream). */
export function rateLimitedLine(stream: string, resumeAt: number): string {
  return `Rate limited while reading ${stream}; resuming at ${new Date(resumeAt).toISOString()}`;
}

/** The partition, briefly: `project_gid=123` (parent_slice omitted), or "whole stream". */
export function describeSlice(slice: Slice): string {
  const parts = Object.entries(slice)
    .filter(([k]) => k !== "parent_slice" && k !== "extra_fields")
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(", ") : "whole stream";
}

export async function fetchPage(
  env: FetchEnvironment,
  stream: StreamDefinition,
  slice: Slice,
  token: unknown,
  extra: RequestParts,
): Promise<PageResult> {
  const { requester, paginator, selector } = stream;
  const request = requester.build(slice, token, paginator.request(token), extra);
  const what = `${stream.name} (${describeSlice(slice)})`;
  // A paginated listing must answer a list; a lookup (NoPagination) may answer one object.
  const expectList = paginator.paginates;
  const final = await send(
    { method: "GET", url: request.url, headers: request.headers, target: request.target },
    {
      transport: async (r) => {
        const result = await env.http.get(r.url, r.headers, r.target);
        if (result.status >= 200 && result.status < 300) checkIntegers(result.text, what);
        return result;
      },
      handler: checkingRecords(requester.errorHandler, (body) => selector.shapeProblem(body, expectList)),
      auth: requester.authenticator,
      rate: env.rate,
      limits: { maxRateLimitWaits: env.maxRateLimitRetries, backoffBaseSeconds: env.backoffBaseSeconds },
      what,
      onRateLimited: (resumeAt) => env.onRateLimited(stream.name, resumeAt),
      ...(env.clock ? { clock: env.clock } : {}),
    },
  );
  const { answer, message } = final;
  switch (final.kind) {
    case "success": {
      const context = requester.context(slice, token);
      const extracted = selector.extract(answer.body);
      const records = transformRecords(selector.kept(extracted, context), stream.transformations, context);
      checkPrimaryKeys(stream, records, what);
      const next = paginator.next({ body: answer.body, headers: answer.headers }, records, token);
      return { kind: "page", records, next, body: answer.body, extracted };
    }
    case "ignored":
      // The manifest's explanation and the API's own words (e.g. which plan a 402 needs).
      return { kind: "ignored", reason: message ? `${message} (${describeAnswer(answer)})` : describeAnswer(answer) };
    case "reset":
      return { kind: "reset", reason: message ?? describeAnswer(answer) };
  }
}

function checkIntegers(text: string, what: string): void {
  const found = findUnsafeInteger(text);
  if (!found) return;
  const field = found.field === undefined ? "" : ` in "${found.field.slice(0, 80)}"`;
  throw systemError(
    `Reading ${what} failed: the API sent an integer beyond 2^53${field} (${found.digits} digits, at character ${found.offset} of the response): ` +
      "it cannot be represented exactly, so the connector stops rather than emit a rounded value",
  );
}

/** The JSON Schema type names a value has: an integer is both "integer" and "number". */
function jsonTypesOf(value: unknown): string[] {
  if (value === null) return ["null"];
  if (Array.isArray(value)) return ["array"];
  if (typeof value === "number") return Number.isInteger(value) ? ["integer", "number"] : ["number"];
  return [typeof value];
}

const TYPE_NAMES: Record<string, string> = {
  integer: "an integer", number: "a number", string: "a string", boolean: "true or false", array: "a list", object: "an object",
};

/** Every record has each primary key field, of the type the stream's schema declares (if it declares one). */
function checkPrimaryKeys(stream: StreamDefinition, records: ApiRecord[], what: string): void {
  for (const path of stream.primaryKey) {
    let node: Record<string, unknown> | undefined = stream.schema;
    for (const segment of path) node = propertySchema(node, segment);
    const declared = node?.type === undefined ? [] : [node.type].flat().map(String);
    const key = path.join(".");
    records.forEach((record, i) => {
      const value = valueAt(record, path);
      const position = (): string => `record ${i + 1} of ${records.length} on a page of ${what}`;
      if (value === undefined || value === null) {
        throw systemError(`Reading ${what} failed: ${position()} has no primary key "${key}" (stream ${stream.name})`);
      }
      const found = jsonTypesOf(value);
      if (declared.length && !found.some((t) => declared.includes(t))) {
        throw systemError(
          `Reading ${what} failed: the primary key "${key}" of ${position()} is ${TYPE_NAMES[found[0]!] ?? found[0]}, but the schema of stream ${stream.name} declares ${declared.join(" or ")}`,
        );
      }
    });
  }
}
