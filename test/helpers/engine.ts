/**
 * In-process engine runs: a manifest given as text, a fake HTTP client that answers from a
 * function (no server, no sockets), and an emitter that records every message in order. A read
 * takes milliseconds, so engine behaviour is tested here rather than through spawned CLIs.
 */
import { buildSource } from "../../src/declarative/source.js";
import type { FetchEnvironment } from "../../src/engine/fetch.js";
import type { ReadObserver } from "../../src/engine/observer.js";
import { type ReadOptions, type ReadResult, readStreams } from "../../src/engine/read.js";
import type { StateBlob } from "../../src/engine/state.js";
import type { HttpResult } from "../../src/http/client.js";
import { NetworkError } from "../../src/http/client.js";
import { RateController } from "../../src/http/rate-controller.js";
import { parseManifest } from "../../src/manifest/load.js";
import type { LogLevel, StreamStatus, SyncEmitter } from "../../src/protocol/emitter.js";

export type Message =
  | { type: "record"; stream: string; data: Record<string, unknown> }
  | { type: "state"; stream: string; state: Record<string, unknown> }
  | { type: "status"; stream: string; status: StreamStatus }
  | { type: "rate_limited"; stream: string; quotaReset: number }
  | { type: "log"; level: LogLevel; message: string };

/** Records every message the engine says, in order. */
export class RecordingEmitter implements SyncEmitter {
  readonly messages: Message[] = [];

  async record(stream: string, data: Record<string, unknown>): Promise<void> {
    this.messages.push({ type: "record", stream, data });
  }

  async state(stream: string, state: Record<string, unknown>): Promise<void> {
    this.messages.push({ type: "state", stream, state: structuredClone(state) });
  }

  async streamStatus(stream: string, status: StreamStatus): Promise<void> {
    this.messages.push({ type: "status", stream, status });
  }

  async rateLimited(stream: string, quotaReset: number): Promise<void> {
    this.messages.push({ type: "rate_limited", stream, quotaReset });
  }

  async log(level: LogLevel, message: string): Promise<void> {
    this.messages.push({ type: "log", level, message });
  }

  records(stream: string): Array<Record<string, unknown>> {
    return this.messages.flatMap((m) => (m.type === "record" && m.stream === stream ? [m.data] : []));
  }

  states(stream: string): Array<Record<string, unknown>> {
    return this.messages.flatMap((m) => (m.type === "state" && m.stream === stream ? [m.state] : []));
  }

  statuses(stream: string): StreamStatus[] {
    return this.messages.flatMap((m) => (m.type === "status" && m.stream === stream ? [m.status] : []));
  }

  logs(level?: LogLevel): string[] {
    return this.messages.flatMap((m) => (m.type === "log" && (level === undefined || m.level === level) ? [m.message] : []));
  }
}

/** A request as the fake API sees it: path (without the base), query parameters. */
export interface FakeRequest {
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
}

/** An answer: a JSON body with a status, or "network" for a broken connection. */
export type FakeReply = { status: number; body?: unknown; headers?: Record<string, string> } | "network";

export const BASE_URL = "https://api.test/v1";

/** A fake HttpClient: answers from `handler`, counts every request. */
export class FakeHttp {
  readonly requests: FakeRequest[] = [];

  constructor(private readonly handler: (request: FakeRequest) => FakeReply) {}

  async get(url: string, headers: Record<string, string>): Promise<HttpResult> {
    const parsed = new URL(url);
    const request: FakeRequest = { path: parsed.pathname.replace(new URL(BASE_URL).pathname, ""), query: parsed.searchParams, headers };
    this.requests.push(request);
    if (this.requests.length > 10_000) throw new Error("FakeHttp: more than 10,000 requests (a loop?)");
    const reply = this.handler(request);
    if (reply === "network") throw new NetworkError("ECONNRESET: socket hang up");
    return {
      status: reply.status,
      headers: { "content-type": "application/json", ...(reply.headers ?? {}) },
      text: reply.body === undefined ? "" : JSON.stringify(reply.body),
    };
  }

  async close(): Promise<void> {}

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }
}

export interface EngineRun {
  result: ReadResult;
  emitter: RecordingEmitter;
  http: FakeHttp;
}

export interface EngineRunOptions {
  selected: string[];
  incremental?: string[];
  states?: Record<string, StateBlob>;
  config?: Record<string, unknown>;
  concurrency?: number;
  checkpointIntervalMs?: number;
  fields?: Map<string, string[]>;
  observer?: ReadObserver;
}

/** Reads `options.selected` from the manifest text against the fake API, in process. */
export async function runEngine(manifestText: string, handler: (request: FakeRequest) => FakeReply, options: EngineRunOptions): Promise<EngineRun> {
  const config = { base_url: BASE_URL, ...(options.config ?? {}) };
  const source = buildSource(parseManifest(manifestText, "/virtual/manifest.yaml"), config);
  const emitter = new RecordingEmitter();
  const http = new FakeHttp(handler);
  const env: FetchEnvironment = {
    http,
    rate: new RateController({ initialRate: 1_000_000, maxRate: 1_000_000, maxConcurrency: options.concurrency ?? 4 }),
    onRateLimited: (stream, resumeAt) => emitter.rateLimited(stream, resumeAt),
    config,
    maxRateLimitRetries: 3,
    backoffBaseSeconds: 0,
  };
  const readOptions: ReadOptions = {
    source,
    selected: options.selected,
    emitter,
    env,
    concurrency: options.concurrency ?? 4,
    incremental: new Set(options.incremental ?? []),
    states: new Map(Object.entries(options.states ?? {})),
    checkpointIntervalMs: options.checkpointIntervalMs ?? 0,
  };
  if (options.fields) readOptions.fields = options.fields;
  if (options.observer) readOptions.observer = options.observer;
  const result = await readStreams(readOptions);
  return { result, emitter, http };
}

/** A page of `items` in Asana's envelope, with `next` as the next offset (or the last page). */
export function page(items: Array<Record<string, unknown>>, next?: string): { status: number; body: unknown } {
  return { status: 200, body: { data: items, next_page: next === undefined ? null : { offset: next } } };
}
