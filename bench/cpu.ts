/**
 * npm run bench:cpu: what a sync costs in CPU against what the server feeding it costs, how much
 * memory it holds, and how close it gets to the ideal time under a budget. Prints figures;
 * asserts nothing. The simulator, the connector CLI and this process each run in their own
 * process, so each one's CPU is its own.
 *
 *   npm run bench:cpu -- [--seed N] [--repeat N] [--large-seconds N] [--budget N] [--latency-ms N]
 *       [--part cpu|large|budget|all] [--cli airbyte|singer] [--cli-node-args="--flag ..."]
 *
 * (cpu)    unthrottled full sync of every stream, medium dataset (no budget, no concurrency limit,
 *          no latency; connector 16 workers at 100,000 req/s), `--repeat` times (default 3):
 *          connector and simulator CPU seconds in the same run, their ratio, connector CPU ms per
 *          request, records/s, the CLI's peak RSS. Each run starts a new simulator and syncs
 *          twice against it: the first sync meets a simulator as new as the connector process
 *          (the target's figure), the second a warm one (its code already compiled).
 * (large)  the same on the large dataset, stopped after `--large-seconds` (default 120; 0 skips
 *          it): the peak RSS of the CLI over a bounded prefix, and the CPU ratio.
 * (budget) full sync of every stream, medium, against a budget of `--budget` requests a minute
 *          (default 1,500) with `--latency-ms` (default 150) per answer, connector at its default
 *          settings: wall time against the ideal, 429s, the served rate per 5 s.
 * `--cli singer` runs the Singer tap with its discovered catalog (every stream, incremental where
 * a stream can be: its first sync) instead of the Airbyte CLI's full refresh. `--cli-node-args`
 * passes Node/V8 flags to the connector's process (space-separated), e.g. to compare heap
 * settings within one run.
 */
import { parseArgs } from "node:util";
import { Dataset, type DatasetSize } from "../integration_tests/simulator/index.js";
import {
  CLI,
  TAP,
  type CliRun,
  type Protocol,
  chart,
  f1,
  pat,
  pct,
  recordsCheck,
  runRead,
  startRecordingProxy,
  startSimulatorProcess,
} from "./sync-processes.js";

const UNTHROTTLED = { requests_per_second: 100_000, max_requests_per_second: 100_000, num_workers: 16 };
/** Node/V8 flags for the connector's process (`--cli-node-args`). */
let cliNodeArgs: string[] = [];
/** Which CLI syncs (`--cli`): the Airbyte one, or the Singer tap. */
let protocol: Protocol = "airbyte";
/** The connector's default ceiling (req/s): the ideal time of a budget above it uses the ceiling. */
const DEFAULT_CEILING = 25;

interface CpuFigures {
  run: CliRun;
  requests: number;
  simulatorCpu: number | undefined;
}

const fixed = (n: number | undefined, digits: number): string => (n === undefined ? "n/a" : n.toFixed(digits));

/**
 * Unthrottled syncs of every stream against one new simulator process; the simulator's CPU is
 * measured around each. The first sync meets a simulator as new as the connector (neither has
 * compiled its hot code yet); each further one (`syncs` > 1) meets a warm simulator.
 */
async function unthrottledSyncs(seed: number, size: DatasetSize, limitSeconds?: number, syncs = 1): Promise<CpuFigures[]> {
  const sim = await startSimulatorProcess(["--seed", String(seed), "--size", size, "--max-concurrent", "0"]);
  const figures: CpuFigures[] = [];
  try {
    for (let i = 0; i < syncs; i++) {
      await sim.reset();
      const before = sim.cpuSeconds();
      const run = await runRead(pat(sim, UNTHROTTLED), limitSeconds, cliNodeArgs, protocol);
      const after = sim.cpuSeconds();
      const stats = await sim.stats();
      const simulatorCpu = before === undefined || after === undefined ? undefined : after - before;
      figures.push({ run, requests: stats.total, simulatorCpu });
    }
    return figures;
  } finally {
    await sim.stop();
  }
}

function printCpu(label: string, f: CpuFigures): void {
  const records = [...f.run.records.values()].reduce((a, b) => a + b, 0);
  const cpu = f.run.cpuSeconds;
  const ratio = cpu !== undefined && f.simulatorCpu ? cpu / f.simulatorCpu : undefined;
  console.log(
    `  ${label.padEnd(8)} connector ${fixed(cpu, 2).padStart(6)} s  simulator ${fixed(f.simulatorCpu, 2).padStart(6)} s  ` +
      `ratio ${fixed(ratio, 2).padStart(5)}  ${fixed(cpu === undefined ? undefined : (1000 * cpu) / f.requests, 3)} ms/request  ` +
      `${(records / f.run.seconds).toFixed(0).padStart(5)} records/s  wall ${f1(f.run.seconds)} s  ` +
      `peak RSS ${f.run.peakRss === undefined ? "n/a" : `${f1(f.run.peakRss)} MiB`}`,
  );
}

async function cpuPart(seed: number, repeat: number): Promise<void> {
  const dataset = new Dataset(seed, "medium");
  console.log(
    `\n(cpu) unthrottled full sync, medium (seed ${seed}): ${dataset.minimalRequests().total} minimal requests; ` +
      `connector ${UNTHROTTLED.num_workers} workers, no budget, no latency`,
  );
  const ratios: number[] = [];
  const warmRatios: number[] = [];
  const ratioOf = (f: CpuFigures): number | undefined =>
    f.run.cpuSeconds !== undefined && f.simulatorCpu ? f.run.cpuSeconds / f.simulatorCpu : undefined;
  for (let i = 1; i <= repeat; i++) {
    const [first, warm] = await unthrottledSyncs(seed, "medium", undefined, 2);
    for (const [label, f, into] of [[`run ${i}`, first!, ratios], ["  warm", warm!, warmRatios]] as const) {
      printCpu(label, f);
      if (f.run.code !== 0 || f.run.errors.length) console.log(`           exit code ${f.run.code}; ${f.run.errors.join("; ")}`);
      console.log(`           ${recordsCheck(dataset, f.run.records)}; ${f.requests} requests`);
      const ratio = ratioOf(f);
      if (ratio !== undefined) into.push(ratio);
    }
  }
  const summary = (values: number[]): string => {
    const sorted = [...values].sort((a, b) => a - b);
    return `median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)}, range ${sorted[0]!.toFixed(2)}-${sorted.at(-1)!.toFixed(2)}`;
  };
  if (ratios.length) console.log(`  connector / simulator CPU, both processes new: ${summary(ratios)}`);
  if (warmRatios.length) console.log(`  connector / simulator CPU, the simulator warm (its second sync): ${summary(warmRatios)}`);
}

async function largePart(seed: number, seconds: number): Promise<void> {
  const dataset = new Dataset(seed, "large");
  const expected = Object.values(dataset.counts()).reduce((a, b) => a + b, 0);
  console.log(`\n(large) unthrottled, large (seed ${seed}), stopped after ${seconds} s at most`);
  const [f] = await unthrottledSyncs(seed, "large", seconds);
  printCpu("large", f);
  const records = [...f.run.records.values()].reduce((a, b) => a + b, 0);
  console.log(`           ${records} of ${expected} records (${pct(records / expected)}), ${f.requests} requests${f.run.stopped ? ", stopped" : ""}`);
  console.log("           over time (s, records, peak RSS MiB so far):");
  for (const [t, n, rss] of f.run.timeline) console.log(`           ${f1(t).padStart(6)}  ${String(n).padStart(8)}  ${rss === undefined ? "n/a" : f1(rss)}`);
}

async function budgetPart(seed: number, budget: number, latencyMs: number): Promise<void> {
  const dataset = new Dataset(seed, "medium");
  const minimal = dataset.minimalRequests().total;
  const effective = Math.min(budget / 60, DEFAULT_CEILING);
  const ideal = minimal / effective;
  console.log(`\n(budget) full sync, medium (seed ${seed}), ${budget}/min, ${latencyMs} ms latency, connector defaults`);
  const sim = await startSimulatorProcess(["--seed", String(seed), "--size", "medium", "--latency-ms", String(latencyMs), "--budget", String(budget)]);
  const proxy = await startRecordingProxy(sim.baseUrl);
  try {
    await sim.reset();
    const run = await runRead({ ...pat(sim, {}), base_url: proxy.baseUrl }, undefined, cliNodeArgs, protocol);
    const stats = await sim.stats();
    console.log(`  exit code ${run.code}; ${recordsCheck(dataset, run.records)}`);
    for (const e of run.errors) console.log(`  error: ${e}`);
    console.log(`  wall / ideal       ${(run.seconds / ideal).toFixed(3)} (${f1(run.seconds)} s / ${f1(ideal)} s = ${minimal} requests at ${f1(effective)} req/s)`);
    console.log(`  requests           ${stats.total}; 429s ${stats.rateLimited}; peak concurrency ${stats.peakConcurrency}`);
    console.log(`  connector CPU      ${fixed(run.cpuSeconds, 2)} s; peak RSS ${run.peakRss === undefined ? "n/a" : `${f1(run.peakRss)} MiB`}`);
    console.log("  requests served per second, per 5 s from the first request:");
    for (const line of chart(proxy.arrivals, effective)) console.log(line);
  } finally {
    await proxy.close();
    await sim.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      part: { type: "string", default: "all" },
      seed: { type: "string", default: "1" },
      repeat: { type: "string", default: "3" },
      "large-seconds": { type: "string", default: "120" },
      budget: { type: "string", default: "1500" },
      "latency-ms": { type: "string", default: "150" },
      "cli-node-args": { type: "string", default: "" },
      cli: { type: "string", default: "airbyte" },
    },
  });
  const number = (name: keyof typeof values): number => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${JSON.stringify(values[name])}`);
    return n;
  };
  const part = values.part;
  if (!["cpu", "large", "budget", "all"].includes(part)) throw new Error("--part must be cpu, large, budget or all");
  if (values.cli !== "airbyte" && values.cli !== "singer") throw new Error("--cli must be airbyte or singer");
  protocol = values.cli;
  cliNodeArgs = values["cli-node-args"].split(/\s+/).filter((a) => a !== "");
  const cli = protocol === "singer" ? TAP : CLI;
  console.log(`bench:cpu on Node ${process.version}; connector ${cli}${cliNodeArgs.length ? ` (node ${cliNodeArgs.join(" ")})` : ""}`);
  if (part === "cpu" || part === "all") await cpuPart(number("seed"), Math.max(1, number("repeat")));
  if ((part === "large" || part === "all") && number("large-seconds") > 0) await largePart(number("seed"), number("large-seconds"));
  if (part === "budget" || part === "all") await budgetPart(number("seed"), number("budget"), number("latency-ms"));
}

main().catch((error: unknown) => {
  console.error(`bench:cpu failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
