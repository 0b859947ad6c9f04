/**
 * What the benchmarks share: the simulator and the connector CLI each in their own process, a
 * recording proxy in front of the simulator, the CLI's peak memory and CPU time, and the
 * formatting of figures. Nothing here asserts anything.
 *
 * CPU time: the simulator's is read from /proc/<pid>/stat while it runs (before and after a
 * sync); the CLI's from this process's `cutime`/`cstime` (the CPU of children waited for), before
 * it starts and after it exits, which counts every thread of the CLI until its last instruction.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, type IncomingMessage, type ServerResponse, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type Dataset, type DatasetSize, STREAM_NAMES } from "../integration_tests/simulator/index.js";

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const CLI = resolve(ROOT, "dist/src/cli/airbyte.js");
/** The Singer tap's CLI (`tap-asana`). */
export const TAP = resolve(ROOT, "dist/src/cli/singer.js");

/** Which of the connector's CLIs a benchmark runs: `source-asana read`, or `tap-asana` with its discovered catalog. */
export type Protocol = "airbyte" | "singer";
const SIMULATOR = resolve(ROOT, "dist/integration_tests/simulator/cli.js");
export const SIZES: readonly DatasetSize[] = ["small", "medium", "large"];

export interface SimStats {
  total: number;
  byStatus: Record<string, number>;
  peakConcurrency: number;
  rateLimited: number;
  perSecond: number[];
}

// --- processes -------------------------------------------------------------------------------

export interface RunningSimulator {
  baseUrl: string;
  origin: string;
  token: string;
  stats(): Promise<SimStats>;
  reset(): Promise<void>;
  stop(): Promise<void>;
  /** CPU seconds (user + system) the simulator has used so far; undefined without /proc. */
  cpuSeconds(): number | undefined;
}

/** Starts the simulator CLI on a free port and waits for its "listening on" line. */
export async function startSimulatorProcess(args: string[]): Promise<RunningSimulator> {
  const child = spawn(process.execPath, [SIMULATOR, "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolveLine, reject) => {
    const timer = setTimeout(() => reject(new Error("the simulator did not start within 60 s")), 60_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolveLine(line);
    });
    child.once("exit", (code) => reject(new Error(`the simulator exited (${code}) before listening`)));
  });
  const match = /listening on (\S+) \(token: ([^,]+),/.exec(first);
  if (!match) throw new Error(`unexpected simulator output: ${first}`);
  const baseUrl = match[1]!;
  const origin = new URL(baseUrl).origin;
  return {
    baseUrl,
    origin,
    token: match[2]!,
    stats: async () => (await (await fetch(`${origin}/_sim/stats`)).json()) as SimStats,
    reset: async () => {
      await fetch(`${origin}/_sim/reset`, { method: "POST" });
    },
    stop: () => stopProcess(child),
    cpuSeconds: () => processCpuSeconds(child.pid!),
  };
}

/**
 * A pass-through proxy in front of the simulator that notes when each request arrives and whether
 * it was answered 429: the rate over time at millisecond resolution (the simulator's own
 * statistics count per second).
 */
export interface Arrival {
  /** ms since the proxy started */
  at: number;
  status: number;
}

export interface RecordingProxy {
  baseUrl: string;
  arrivals: Arrival[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const arrivals: Arrival[] = [];
  const started = performance.now();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const arrival: Arrival = { at: performance.now() - started, status: 0 };
    arrivals.push(arrival);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        arrival.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}${upstream.pathname}`,
    arrivals,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill("SIGTERM");
  });
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux Node supports). */
const USER_HZ = 100;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces), from field 3 on. */
function statFields(pid: number | "self"): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** CPU seconds (utime + stime) a running process has used; undefined without /proc. */
export function processCpuSeconds(pid: number): number | undefined {
  const f = statFields(pid);
  return f === undefined ? undefined : (Number(f[11]) + Number(f[12])) / USER_HZ;
}

/** CPU seconds (cutime + cstime) of this process's children that have exited and been waited for. */
function exitedChildrenCpuSeconds(): number | undefined {
  const f = statFields("self");
  return f === undefined ? undefined : (Number(f[13]) + Number(f[14])) / USER_HZ;
}

/** Peak resident memory of a process (VmHWM, Linux), in MiB; undefined where /proc is missing. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

export interface CliRun {
  code: number | null;
  seconds: number;
  records: Map<string, number>;
  errors: string[];
  finalLog: string | undefined;
  peakRss: number | undefined;
  /** CPU seconds (user + system) of the CLI, start to exit; undefined without /proc. */
  cpuSeconds: number | undefined;
  /** [seconds since start, records so far, RSS MiB] every ~10 s. */
  timeline: Array<[number, number, number | undefined]>;
  stopped: boolean;
}

/** The arguments that read every stream with `protocol`'s CLI, its config and catalog written in a new directory. */
function readArguments(config: Record<string, unknown>, protocol: Protocol): string[] {
  const dir = mkdtempSync(join(tmpdir(), "bench-throttle-"));
  const configPath = join(dir, "config.json");
  const catalogPath = join(dir, "catalog.json");
  writeFileSync(configPath, JSON.stringify(config));
  if (protocol === "singer") {
    // The tap's own discovered catalog (every stream selected, incremental where a stream can be).
    writeFileSync(catalogPath, execFileSync(process.execPath, [TAP, "--config", configPath, "--discover"], { maxBuffer: 64 * 1024 * 1024 }));
    return [TAP, "--config", configPath, "--catalog", catalogPath];
  }
  writeFileSync(
    catalogPath,
    JSON.stringify({
      streams: STREAM_NAMES.map((name) => ({
        stream: { name, json_schema: {}, supported_sync_modes: ["full_refresh"] },
        sync_mode: "full_refresh",
        destination_sync_mode: "overwrite",
      })),
    }),
  );
  return [CLI, "read", "--config", configPath, "--catalog", catalogPath];
}

/**
 * Reads every stream with the CLI of `protocol` (default: `read` of the Airbyte CLI, full
 * refresh), with `nodeArgs` before the CLI's path; stops the CLI after `limitSeconds` if given.
 */
export async function runRead(
  config: Record<string, unknown>,
  limitSeconds?: number,
  nodeArgs: readonly string[] = [],
  protocol: Protocol = "airbyte",
): Promise<CliRun> {
  const args = readArguments(config, protocol);
  const cpuBefore = exitedChildrenCpuSeconds();
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const run: CliRun = {
    code: null,
    seconds: 0,
    records: new Map(),
    errors: [],
    finalLog: undefined,
    peakRss: undefined,
    cpuSeconds: undefined,
    timeline: [],
    stopped: false,
  };
  let total = 0;
  const pid = child.pid!;
  const sample = (): void => {
    run.peakRss = peakRssMiB(pid) ?? run.peakRss;
  };
  const sampler = setInterval(sample, 200);
  const timeline = setInterval(() => run.timeline.push([(performance.now() - started) / 1000, total, peakRssMiB(pid)]), 10_000);
  const limit =
    limitSeconds === undefined
      ? undefined
      : setTimeout(() => {
          run.stopped = true;
          sample();
          child.kill("SIGTERM");
        }, limitSeconds * 1000);
  createInterface({ input: child.stdout! }).on("line", (line) => {
    // Records are counted without parsing them (this process must not become the bottleneck).
    if (line.startsWith('{"type":"RECORD"')) {
      total++;
      const stream = /"stream":"([^"]+)"/.exec(line)?.[1] ?? "?";
      run.records.set(stream, (run.records.get(stream) ?? 0) + 1);
      return;
    }
    if (line.includes('"type":"ERROR"')) {
      const message = JSON.parse(line) as { trace?: { error?: { failure_type: string; message: string } } };
      const error = message.trace?.error;
      if (error) run.errors.push(`${error.failure_type}: ${error.message}`);
    } else if (line.includes('"type":"LOG"') && line.includes("requests (")) {
      run.finalLog = (JSON.parse(line) as { log: { message: string } }).log.message;
    }
  });
  run.code = await new Promise<number | null>((resolveExit) => child.on("exit", (code) => resolveExit(code)));
  run.seconds = (performance.now() - started) / 1000;
  const cpuAfter = exitedChildrenCpuSeconds();
  if (cpuBefore !== undefined && cpuAfter !== undefined) run.cpuSeconds = cpuAfter - cpuBefore;
  clearInterval(sampler);
  clearInterval(timeline);
  if (limit) clearTimeout(limit);
  return run;
}

export function pat(sim: RunningSimulator, extra: Record<string, unknown>): Record<string, unknown> {
  return { credentials: { option_title: "PAT Credentials", personal_access_token: sim.token }, base_url: sim.baseUrl, ...extra };
}

// --- formatting -----------------------------------------------------------------------------

export const f1 = (n: number): string => n.toFixed(1);
export const pct = (n: number): string => `${(100 * n).toFixed(2)} %`;

export function recordsCheck(dataset: Dataset, records: Map<string, number>): string {
  const truth = dataset.counts();
  const off = STREAM_NAMES.filter((s) => (records.get(s) ?? 0) !== truth[s]).map((s) => `${s} ${records.get(s) ?? 0}/${truth[s]}`);
  return off.length === 0 ? "every stream's record count equals the ground truth" : `record counts differ: ${off.join(", ")}`;
}

/**
 * Seconds from the first request until the rate over the trailing second first reached `target`
 * requests/s (all requests sent, 429s included: the pace the connector chose).
 */
export function timeToReach(arrivals: readonly Arrival[], target: number): number | undefined {
  if (arrivals.length === 0) return undefined;
  const first = arrivals[0]!.at;
  let from = 0;
  for (let i = 0; i < arrivals.length; i++) {
    while (arrivals[from]!.at <= arrivals[i]!.at - 1000) from++;
    if (i - from + 1 >= target) return (arrivals[i]!.at - first) / 1000;
  }
  return undefined;
}

/** The served rate and the 429s per 5 s bucket, from the first request, as a text chart. */
export function chart(arrivals: readonly Arrival[], ceiling: number): string[] {
  const bucketSeconds = 5;
  const width = 50;
  if (arrivals.length === 0) return [];
  const first = arrivals[0]!.at;
  const last = arrivals[arrivals.length - 1]!.at;
  const buckets = Math.floor((last - first) / 1000 / bucketSeconds) + 1;
  const served = new Array<number>(buckets).fill(0);
  const limited = new Array<number>(buckets).fill(0);
  for (const a of arrivals) {
    const b = Math.floor((a.at - first) / 1000 / bucketSeconds);
    if (a.status === 429) limited[b]!++;
    else served[b]!++;
  }
  const scale = ceiling * 1.1;
  return served.map((n, b) => {
    const t0 = b * bucketSeconds;
    const rate = n / bucketSeconds;
    const bar = "#".repeat(Math.round((Math.min(rate, scale) / scale) * width));
    const partial = b === buckets - 1 ? ` (last bucket: the sync ended ${f1((last - first) / 1000 - t0)} s into it)` : "";
    const mark = (limited[b] ? ` ${limited[b]} x 429` : "") + partial;
    return `  ${String(t0).padStart(4)}-${String(t0 + bucketSeconds).padEnd(4)} s ${f1(rate).padStart(5)} req/s |${bar.padEnd(width)}|${mark}`;
  });
}
