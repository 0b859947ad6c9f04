/**
 * npm run bench:estimates — how good the row estimates (Airbyte ESTIMATE messages) are.
 *
 * A full sync of every stream against the simulator (default: medium, seed 1, the connector at
 * its default pacing), in-process, so each ESTIMATE line is stamped with the requests the
 * simulator had served when it arrived. At 10 %, 50 % and 90 % of the sync (by requests served,
 * out of the final total), each stream's latest estimate is compared with the records it finally
 * emitted. Printed per stream, and for all streams together (a stream with no estimate yet counts
 * as the records it had emitted by then).
 *
 *   npm run bench:estimates -- [--size small|medium|large] [--seed N] [--unthrottled]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type DatasetSize, startSimulator } from "../integration_tests/simulator/index.js";
import { UNTHROTTLED, prepareFullSync, printTable, runCli, runScript } from "./full-sync.js";

const POINTS = [0.1, 0.5, 0.9];

interface Stamped {
  stream: string;
  rows: number;
  /** Requests the simulator had served when the message arrived. */
  at: number;
}

/** The latest value per stream among `events` stamped at or before `at`. */
function latestBefore(events: Stamped[], at: number): Map<string, number> {
  const latest = new Map<string, number>();
  for (const e of events) if (e.at <= at) latest.set(e.stream, e.rows);
  return latest;
}

const percent = (estimate: number | undefined, final: number): string => {
  if (estimate === undefined) return "—";
  if (final === 0) return estimate === 0 ? "0 %" : "+∞";
  const error = (estimate / final - 1) * 100;
  return `${error >= 0 ? "+" : ""}${error.toFixed(0)} %`;
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { size: { type: "string", default: "medium" }, seed: { type: "string", default: "1" }, unthrottled: { type: "boolean", default: false } },
  });
  const size = values.size as DatasetSize;
  const sim = await startSimulator({ seed: Number(values.seed), size });
  try {
    const sync = await prepareFullSync(sim, mkdtempSync(join(tmpdir(), "bench-estimates-")), values.unthrottled ? UNTHROTTLED : {});
    console.log(`Full sync of ${sync.streams.length} streams, ${size} dataset (seed ${values.seed}), ${values.unthrottled ? "unthrottled" : `default pacing (ceiling ${sync.ceiling} req/s)`}...`);
    sim.resetStats();
    const estimates: Stamped[] = [];
    /** Records emitted so far per stream, stamped every 100 records (for streams without an estimate). */
    const emitted: Stamped[] = [];
    const finals = new Map<string, number>();
    const started = Date.now();
    const code = await runCli(
      ["read", "--config", sync.configPath, "--catalog", sync.catalogPath],
      (_line, m) => {
        const estimate = m.trace?.type === "ESTIMATE" ? m.trace.estimate : undefined;
        if (estimate?.row_estimate !== undefined) estimates.push({ stream: estimate.name, rows: estimate.row_estimate, at: sim.stats().total });
        if (m.type === "RECORD") {
          const n = (finals.get(m.record!.stream) ?? 0) + 1;
          finals.set(m.record!.stream, n);
          if (n % 100 === 1) emitted.push({ stream: m.record!.stream, rows: n, at: sim.stats().total });
        }
      },
      "ignore",
    );
    const total = sim.stats().total;
    const seconds = (Date.now() - started) / 1000;
    if (code !== 0) throw new Error(`the sync failed (exit ${code})`);
    console.log(`${total} requests, ${[...finals.values()].reduce((a, b) => a + b, 0)} records, ${estimates.length} ESTIMATE messages, ${seconds.toFixed(0)} s\n`);

    const rows: string[][] = [["stream", "records", ...POINTS.flatMap((p) => [`est. @${p * 100} %`, "error"])]];
    const sums = POINTS.map(() => 0);
    for (const stream of sync.streams) {
      const final = finals.get(stream) ?? 0;
      const row = [stream, String(final)];
      POINTS.forEach((p, i) => {
        const estimate = latestBefore(estimates, p * total).get(stream);
        row.push(estimate === undefined ? "—" : String(estimate), percent(estimate, final));
        sums[i]! += estimate ?? latestBefore(emitted, p * total).get(stream) ?? 0;
      });
      rows.push(row);
    }
    const finalTotal = [...finals.values()].reduce((a, b) => a + b, 0);
    rows.push(["all streams", String(finalTotal), ...sums.flatMap((s) => [String(Math.round(s)), percent(s, finalTotal)])]);
    printTable(rows);
    return 0;
  } finally {
    await sim.close();
  }
}

runScript("bench:estimates", main);
