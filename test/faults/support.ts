/**
 * Shared by the fault-matrix suites: a sync of the built CLI against the simulator, comparisons
 * with the ground truth (every record exactly once), and a small proxy that answers chosen
 * requests itself (a permanent 500 on one partition, a 400 with an API message) and forwards the
 * rest to the simulator.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { STREAM_NAMES, type Simulator, type StreamName } from "../../integration_tests/simulator/index.js";
import { type AirbyteMessage, type CliResult, catalogFor, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";

/** Fast retries for tests: the default backoff base (config `_backoff_base_seconds`) in seconds. */
export const FAST_BACKOFF = 0.05;

/** A full-refresh read of `streams` through the built CLI, bounded by `timeoutMs`. */
export async function sync(
  baseUrl: string,
  token: string,
  extra: Record<string, unknown> = {},
  streams: readonly string[] = STREAM_NAMES,
  timeoutMs = 90_000,
): Promise<CliResult> {
  const dir = tempDir("source-asana-faults-");
  const config = writeJson(dir, "config.json", patConfig(baseUrl, token, { _backoff_base_seconds: FAST_BACKOFF, ...extra }));
  const catalog = writeJson(dir, "catalog.json", catalogFor([...streams]));
  return runAirbyte(["read", "--config", config, "--catalog", catalog], timeoutMs);
}

export type Row = Record<string, unknown>;
/** A record's primary key as text: portfolio items are keyed by [portfolio_gid, gid], the rest by gid. */
const keyOf = (r: Row): string => (r.portfolio_gid === undefined ? String(r.gid) : `${String(r.portfolio_gid)}/${String(r.gid)}`);

/** `stream`'s records equal `expected` exactly: no duplicate, nothing missing, nothing extra, same content. */
export function expectRecords(result: CliResult, stream: string, expected: readonly Row[]): void {
  const actual = recordsOf(result.messages, stream);
  const gids = actual.map(keyOf);
  const duplicates = gids.filter((g, i) => gids.indexOf(g) !== i);
  expect(duplicates, `${stream}: duplicate keys`).toEqual([]);
  const expectedByGid = new Map(expected.map((r) => [keyOf(r), r]));
  const seen = new Set(gids);
  expect(
    gids.filter((g) => !expectedByGid.has(g)),
    `${stream}: unexpected keys`,
  ).toEqual([]);
  expect(
    [...expectedByGid.keys()].filter((g) => !seen.has(g)),
    `${stream}: missing keys`,
  ).toEqual([]);
  for (const record of actual) expect(record, `${stream} ${keyOf(record)}`).toEqual(expectedByGid.get(keyOf(record)));
}

/** Every stream equals the simulator's ground truth, each record once. */
export function expectGroundTruth(result: CliResult, sim: Simulator, streams: readonly StreamName[] = STREAM_NAMES): void {
  for (const stream of streams) {
    const expected = [...sim.dataset.groundTruth(stream)];
    // A personal token may not read the audit log (skipped): its ground truth is empty.
    if (stream !== "audit_log_events") expect(expected.length, `${stream} has ground truth`).toBeGreaterThan(0);
    expectRecords(result, stream, expected);
  }
}

export function errorsOf(result: CliResult): Array<{ message: string; failure_type: string; internal_message?: string }> {
  return result.messages.filter((m) => m.type === "TRACE" && m.trace!.type === "ERROR").map((m) => m.trace!.error!);
}

export function logsOf(result: CliResult, level: string): string[] {
  return result.messages.filter((m) => m.type === "LOG" && m.log!.level === level).map((m) => m.log!.message);
}

export function statusesOf(result: CliResult, stream: string): string[] {
  return result.messages
    .filter((m) => m.type === "TRACE" && m.trace!.type === "STREAM_STATUS" && m.trace!.stream_status!.stream_descriptor.name === stream)
    .map((m) => m.trace!.stream_status!.status);
}

/** STREAM_STATUS RUNNING traces carrying a RATE_LIMITED reason. */
export function rateLimitedStatuses(result: CliResult): AirbyteMessage[] {
  return result.messages.filter((m) => {
    const status = m.type === "TRACE" ? m.trace!.stream_status : undefined;
    return status?.status === "RUNNING" && JSON.stringify(status.reasons ?? []).includes("RATE_LIMITED");
  });
}

/** A success summary to attach to failed expectations: exit code, errors and stderr. */
export function describeRun(result: CliResult): string {
  return JSON.stringify({ code: result.code, errors: errorsOf(result), stderr: result.stderr.slice(0, 2000) });
}

// --- a proxy in front of the simulator -------------------------------------------------------

export interface CannedResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface FaultProxy {
  /** The API base URL through the proxy ("http://127.0.0.1:PORT/api/1.0"). */
  baseUrl: string;
  /** Requests the proxy answered itself, by path and query. */
  answered: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Forwards every request to `target` (the simulator's origin) unless `rule` returns a response
 * for it (the rule sees the path with its query string).
 */
export async function startFaultProxy(target: string, rule: (url: string) => CannedResponse | undefined): Promise<FaultProxy> {
  const upstream = new URL(target);
  const answered = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "/";
    const canned = rule(url);
    if (canned) {
      answered.set(url, (answered.get(url) ?? 0) + 1);
      const text = JSON.stringify(canned.body);
      res.writeHead(canned.status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...canned.headers });
      res.end(text);
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: url, headers: { ...req.headers, host: upstream.host } },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/api/1.0`,
    answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
