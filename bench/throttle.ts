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
 *     ceiling 25 req/s, 20 workers): wall time against the ideal (minimal requests at the budget's
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
import { parseArgs } from "node:util";
import { Dataset, type DatasetSize } from "../integration_tests/simulator/index.js";
import {
  CLI,
  SIZES,
  chart,
  f1,
  pat,
  pct,
  recordsCheck,
  runRead,
  startRecordingProxy,
  startSimulatorProcess,
  timeToReach,
} from "./sync-processes.js";
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
      const run = await runRead(pat(sim, connector), limit, o.cliHeapMb ? [`--max-old-space-size=${o.cliHeapMb}`] : []);
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
