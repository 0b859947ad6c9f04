/**
 * Fetches one page of one partition: builds the request from the stream's requester and
 * paginator, sends it (http/sender.ts: retries, waits and refreshes happen there, under the
 * stream's error handler and the shared rate controller), and turns the final answer into
 * records and the next page token, a skip, or a restart of the pagination.
 */
import { checkingRecords } from "../declarative/error-handler.js";
import type { ApiRecord } from "../declarative/record-selector.js";
import type { RequestParts } from "../declarative/request-option.js";
import type { StreamDefinition } from "../declarative/stream.js";
import type { HttpResult } from "../http/client.js";
import type { Clock } from "../http/clock.js";
import type { RateController } from "../http/rate-controller.js";
import { describeAnswer, send } from "../http/sender.js";

export type Slice = Record<string, unknown>;

/** One page's result, as the engine sees it. */
export type PageResult =
  | { kind: "page"; records: ApiRecord[]; next: unknown; body: unknown }
  /** The error handler said IGNORE: the partition yields nothing more. */
  | { kind: "ignored"; reason: string }
  /** The error handler said RESET_PAGINATION (e.g. an expired offset). */
  | { kind: "reset"; reason: string };

export interface FetchEnvironment {
  /** GETs a URL (an HttpClient, or a fake in tests). */
  http: { get(url: string, headers: Record<string, string>): Promise<HttpResult> };
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
  const final = await send(
    { method: "GET", url: request.url, headers: request.headers },
    {
      transport: (r) => env.http.get(r.url, r.headers),
      handler: checkingRecords(requester.errorHandler, (body) => selector.shapeProblem(body)),
      auth: requester.authenticator,
      rate: env.rate,
      limits: { maxRateLimitWaits: env.maxRateLimitRetries, backoffBaseSeconds: env.backoffBaseSeconds },
      what: `${stream.name} (${describeSlice(slice)})`,
      onRateLimited: (resumeAt) => env.onRateLimited(stream.name, resumeAt),
      ...(env.clock ? { clock: env.clock } : {}),
    },
  );
  const { answer, message } = final;
  switch (final.kind) {
    case "success": {
      const records = selector.select(answer.body, requester.context(slice, token));
      const next = paginator.next({ body: answer.body, headers: answer.headers }, records, token);
      return { kind: "page", records, next, body: answer.body };
    }
    case "ignored":
      // The manifest's explanation and the API's own words (e.g. which plan a 402 needs).
      return { kind: "ignored", reason: message ? `${message} (${describeAnswer(answer)})` : describeAnswer(answer) };
    case "reset":
      return { kind: "reset", reason: message ?? describeAnswer(answer) };
  }
}
