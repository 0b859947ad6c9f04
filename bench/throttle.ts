/**
 * npm run bench:throttle: how well the connector's AIMD throttle uses Asana's budget, and how fast
 * and lean a sync is when nothing limits it. Prints figures; asserts nothing.
 *
 * The simulator runs in its own process (dist/integration_tests/simulator/cli.js) and so does the
 * connector (the built CLI, dist/src/cli/airbyte.js, exactly as Airbyte runs it); this process
 * only starts them, reads the CLI's stdout and asks the simulator for its request statistics.
 *
 * (a) budget: a full sync of every stream against a per-token budget (default 1,500 requests a
 *     minute, Asana's paid plans) with the connector at its DEFAULT settings (start 1.25 req/s,
 *     ceiling 25 req/s, 10 workers): wall time against the ideal (minimal requests at the budget's
 *     rate), requests, 429s, peak concurrency, time to reach 90 % of the budget's rate, and the
 *     served rate over time.
 * (b) unthrottled: no budget, no concurrency limit, high connector limits: records per second and
 *     the CLI's peak memory (max RSS) on medium and large. The large dataset (~470k requests) is
 *     read for at most --large-seconds and then stopped: a bounded prefix.
 *
 *   npm run bench:throttle -- [--part a|b|all] [--budget N] [--size small|medium|large] [--seed N]
 *       [--latency-ms N] [--large-seconds N] [--cli-heap-mb N]
 *       [--start-rate R] [--max-rate R] [--workers N]   (part a; omitted = the connector's defaults)
 *
 * --cli-heap-mb N: part (b) runs the CLI with --max-old-space-size=N, so its RSS shows the live
 * set rather than the heap V8 keeps because memory is plentiful.
 * --budget N: requests per minute in part (a) (0 = no budget). --size: the dataset of part (a)
 * (default medium) and, when given, the only dataset of part (b) (default medium and large).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, type IncomingMessage, type ServerResponse, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Dataset, type DatasetSize, STREAM_NAMES } from "../integration_tests/simulator/index.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const CLI = resolve(ROOT, "dist/src/cli/airbyte.js");
const SIMULATOR = resolve(ROOT, "dist/integration_tests/simulator/cli.js");
const SIZES: readonly DatasetSize[] = ["small", "medium", "large"];

interface SimStats {
  total: number;
  byStatus: Record<string, number>;
  peakConcurrency: number;
  rateLimited: number;
  perSecond: number[];
}

// --- processes -------------------------------------------------------------------------------

interface RunningSimulator {
  baseUrl: string;
  origin: string;
  token: string;
  stats(): Promise<SimStats>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the simulator CLI on a free port and waits for its "listening on" line. */
async function startSimulatorProcess(args: string[]): Promise<RunningSimulator> {
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
  };
}

/**
 * A pass-through proxy in front of the simulator that notes when each request arrives and whether
 * it was answered 429: the rate over time at millisecond resolution (the simulator's own
 * statistics count per second).
 */
interface Arrival {
  /** ms since the proxy started */
  at: number;
  status: number;
}

interface RecordingProxy {
  baseUrl: string;
  arrivals: Arrival[];
  close(): Promise<void>;
}

async function startRecordingProxy(target: string): Promise<RecordingProxy> {
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

function stopProcess(child: ChildProcess): Promise<void> {
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

/** Peak resident memory of a process (VmHWM, Linux), in MiB; undefined where /proc is missing. */
function peakRssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

interface CliRun {
  code: number | null;
  seconds: number;
  records: Map<string, number>;
  errors: string[];
  finalLog: string | undefined;
  peakRss: number | undefined;
  /** [seconds since start, records so far, RSS MiB] every ~10 s. */
  timeline: Array<[number, number, number | undefined]>;
  stopped: boolean;
}

/** Runs `read` with every stream; stops the CLI after `limitSeconds` if given. */
async function runRead(config: Record<string, unknown>, limitSeconds?: number, heapMb?: number): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), "bench-throttle-"));
  const configPath = join(dir, "config.json");
  const catalogPath = join(dir, "catalog.json");
  writeFileSync(configPath, JSON.stringify(config));
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
  const started = performance.now();
  const nodeArgs = heapMb ? [`--max-old-space-size=${heapMb}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, CLI, "read", "--config", configPath, "--catalog", catalogPath], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const run: CliRun = {
    code: null,
    seconds: 0,
    records: new Map(),
    errors: [],
    finalLog: undefined,
    peakRss: undefined,
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
  clearInterval(sampler);
  clearInterval(timeline);
  if (limit) clearTimeout(limit);
  return run;
}

function pat(sim: RunningSimulator, extra: Record<string, unknown>): Record<string, unknown> {
  return { credentials: { option_title: "PAT Credentials", personal_access_token: sim.token }, base_url: sim.baseUrl, ...extra };
}

// --- formatting -----------------------------------------------------------------------------

const f1 = (n: number): string => n.toFixed(1);
const pct = (n: number): string => `${(100 * n).toFixed(2)} %`;

function recordsCheck(dataset: Dataset, records: Map<string, number>): string {
  const truth = dataset.counts();
  const off = STREAM_NAMES.filter((s) => (records.get(s) ?? 0) !== truth[s]).map((s) => `${s} ${records.get(s) ?? 0}/${truth[s]}`);
  return off.length === 0 ? "every stream's record count equals the ground truth" : `record counts differ: ${off.join(", ")}`;
}

/**
 * Seconds from the first request until the rate over the trailing second first reached `target`
 * requests/s (all requests sent, 429s included: the pace the connector chose).
 */
function timeToReach(arrivals: readonly Arrival[], target: number): number | undefined {
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
function chart(arrivals: readonly Arrival[], ceiling: number): string[] {
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

// --- the two parts --------------------------------------------------------------------------

interface Options {
  seed: number;
  size: DatasetSize;
  budget: number;
  latencyMs: number;
  startRate: number | undefined;
  maxRate: number | undefined;
  workers: number | undefined;
  /** Part (b): the CLI's V8 heap limit in MiB (--max-old-space-size), to show its live set. */
  cliHeapMb: number | undefined;
}

async function partA(o: Options): Promise<void> {
  const dataset = new Dataset(o.seed, o.size);
  const minimal = dataset.minimalRequests().total;
  const budgetRate = o.budget / 60;
  console.log(
    `\n(a) full sync, ${o.size} dataset (seed ${o.seed}), budget ${o.budget ? `${o.budget}/min = ${f1(budgetRate)} req/s` : "none"}, ` +
      `simulator latency ${o.latencyMs} ms; connector: ${o.startRate ?? "default 1.25"} req/s start, ` +
      `${o.maxRate ?? "default 25"} req/s ceiling, ${o.workers ?? "default 10"} workers`,
  );
  const simArgs = ["--seed", String(o.seed), "--size", o.size, "--latency-ms", String(o.latencyMs)];
  if (o.budget > 0) simArgs.push("--budget", String(o.budget));
  const sim = await startSimulatorProcess(simArgs);
  const proxy = await startRecordingProxy(sim.baseUrl);
  try {
    const settings: Record<string, unknown> = {};
    if (o.startRate !== undefined) settings.requests_per_second = o.startRate;
    if (o.maxRate !== undefined) settings.max_requests_per_second = o.maxRate;
    if (o.workers !== undefined) settings.num_workers = o.workers;
    await sim.reset();
    const run = await runRead({ ...pat(sim, settings), base_url: proxy.baseUrl });
    const stats = await sim.stats();
    const ceiling = o.maxRate ?? 25;
    const effective = o.budget > 0 ? Math.min(budgetRate, ceiling) : ceiling;
    const ideal = minimal / effective;
    const target = 0.9 * effective;
    const reach = timeToReach(proxy.arrivals, target);
    const startRate = o.startRate ?? 1.25;
    console.log(`  exit code ${run.code}; ${recordsCheck(dataset, run.records)}`);
    for (const e of run.errors) console.log(`  error: ${e}`);
    console.log(`  wall time          ${f1(run.seconds)} s (CLI start to exit)`);
    console.log(`  ideal time         ${f1(ideal)} s (${minimal} minimal requests / ${f1(effective)} req/s)`);
    console.log(`  wall / ideal       ${(run.seconds / ideal).toFixed(3)} (target <= 1.15)`);
    if (o.budget > 0 && ideal < 60) console.log("                     (a sync shorter than the budget's minute can beat the ideal: the window starts empty)");
    console.log(`  requests           ${stats.total} (${stats.total - minimal} beyond the minimum)`);
    console.log(`  429s               ${stats.rateLimited} = ${pct(stats.rateLimited / stats.total)} of requests (target <= 3 %)`);
    console.log(`  peak concurrency   ${stats.peakConcurrency} requests in flight at the simulator`);
    console.log(
      `  ${f1(startRate)} -> ${f1(target)} req/s  ${reach === undefined ? "never reached" : `${reach.toFixed(1)} s`} from the first request ` +
        "(requests in the trailing second, 429s included)",
    );
    if (run.finalLog) console.log(`  connector says     ${run.finalLog}`);
    console.log("  requests served per second (429s not included), per 5 s from the first request:");
    for (const line of chart(proxy.arrivals, effective)) console.log(line);
  } finally {
    await proxy.close();
    await sim.stop();
  }
}

async function partB(o: Options, sizes: readonly DatasetSize[], largeSeconds: number): Promise<void> {
  const connector = { requests_per_second: 100_000, max_requests_per_second: 100_000, num_workers: o.workers ?? 16 };
  console.log(
    `\n(b) unthrottled: no budget, no concurrency limit, simulator latency ${o.latencyMs} ms; connector ` +
      `${connector.num_workers} workers, rate ${connector.requests_per_second} req/s` +
      (o.cliHeapMb ? `, CLI heap limited to ${o.cliHeapMb} MiB` : ""),
  );
  for (const size of sizes) {
    const dataset = new Dataset(o.seed, size);
    const minimal = dataset.minimalRequests().total;
    const expectedRecords = Object.values(dataset.counts()).reduce((a, b) => a + b, 0);
    const sim = await startSimulatorProcess([
      "--seed",
      String(o.seed),
      "--size",
      size,
      "--latency-ms",
      String(o.latencyMs),
      "--max-concurrent",
      "0",
    ]);
    try {
      await sim.reset();
      const limit = size === "large" ? largeSeconds : undefined;
      const run = await runRead(pat(sim, connector), limit, o.cliHeapMb);
      const stats = await sim.stats();
      const records = [...run.records.values()].reduce((a, b) => a + b, 0);
      console.log(`  ${size}: ${minimal} minimal requests, ${expectedRecords} records in the ground truth`);
      if (run.stopped) console.log(`    stopped after ${largeSeconds} s (bounded prefix: ${pct(records / expectedRecords)} of the records)`);
      else console.log(`    exit code ${run.code}; ${recordsCheck(dataset, run.records)}`);
      for (const e of run.errors) console.log(`    error: ${e}`);
      console.log(`    wall time        ${f1(run.seconds)} s`);
      console.log(`    records          ${records} = ${(records / run.seconds).toFixed(0)} records/s`);
      console.log(`    requests         ${stats.total} = ${(stats.total / run.seconds).toFixed(0)} requests/s`);
      console.log(`    peak concurrency ${stats.peakConcurrency}`);
      console.log(`    peak RSS (CLI)   ${run.peakRss === undefined ? "n/a (no /proc)" : `${f1(run.peakRss)} MiB`}`);
      if (run.timeline.length > 1) {
        console.log("    over time (s, records, peak RSS MiB so far):");
        for (const [t, n, rss] of run.timeline) console.log(`      ${f1(t).padStart(6)}  ${String(n).padStart(8)}  ${rss === undefined ? "n/a" : f1(rss)}`);
      }
    } finally {
      await sim.stop();
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      part: { type: "string", default: "all" },
      budget: { type: "string", default: "1500" },
      size: { type: "string" },
      seed: { type: "string", default: "1" },
      "latency-ms": { type: "string", default: "0" },
      "large-seconds": { type: "string", default: "240" },
      "start-rate": { type: "string" },
      "max-rate": { type: "string" },
      workers: { type: "string" },
      "cli-heap-mb": { type: "string" },
    },
  });
  const number = (raw: string | undefined, name: string): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    return n;
  };
  if (values.size !== undefined && !(SIZES as readonly string[]).includes(values.size)) {
    throw new Error(`--size must be one of ${SIZES.join(", ")}`);
  }
  if (!["a", "b", "all"].includes(values.part)) throw new Error("--part must be a, b or all");
  const options: Options = {
    seed: number(values.seed, "seed")!,
    size: (values.size as DatasetSize | undefined) ?? "medium",
    budget: number(values.budget, "budget")!,
    latencyMs: number(values["latency-ms"], "latency-ms")!,
    startRate: number(values["start-rate"], "start-rate"),
    maxRate: number(values["max-rate"], "max-rate"),
    workers: number(values.workers, "workers"),
    cliHeapMb: number(values["cli-heap-mb"], "cli-heap-mb"),
  };
  console.log(`bench:throttle on Node ${process.version}; connector ${CLI}`);
  if (values.part !== "b") await partA(options);
  if (values.part !== "a") {
    const sizes: DatasetSize[] = values.size === undefined ? ["medium", "large"] : [options.size];
    await partB(options, sizes, number(values["large-seconds"], "large-seconds")!);
  }
}

main().catch((error: unknown) => {
  console.error(`bench:throttle failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
