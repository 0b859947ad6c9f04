/**
 * Runs the Asana simulator from the command line.
 *
 *   node dist/integration_tests/simulator/cli.js --seed 1 --size medium [--port 0] [--token T]... [--latency-ms N]
 *       serves until SIGINT/SIGTERM, then prints the request statistics
 *   node dist/integration_tests/simulator/cli.js --seed 1 --size small --ground-truth DIR
 *       writes DIR/<stream>.jsonl for every stream and exits
 *   node dist/integration_tests/simulator/cli.js --seed 1 --size medium --minimal-requests
 *       prints the requests a perfect full sync needs (limit=100), as JSON, and exits
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Dataset, type DatasetSize } from "./dataset.js";
import { DATASET_SIZES } from "./structure.js";
import { startSimulator } from "./index.js";

const USAGE = "usage: cli.js [--seed N] [--size small|medium|large] [--port N] [--token T]... [--latency-ms N] [--ground-truth DIR | --minimal-requests]";

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function integer(raw: string, name: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

async function writeGroundTruth(dataset: Dataset, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const stream of dataset.streamNames) {
    const out = createWriteStream(join(dir, `${stream}.jsonl`));
    let count = 0;
    for (const record of dataset.groundTruth(stream)) {
      if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, "drain");
      count++;
    }
    out.end();
    await once(out, "finish");
    console.log(`${stream}: ${count} records`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: "string", default: "1" },
      size: { type: "string", default: "small" },
      port: { type: "string", default: "0" },
      token: { type: "string", multiple: true },
      "latency-ms": { type: "string", default: "0" },
      "ground-truth": { type: "string" },
      "minimal-requests": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seed = integer(values.seed, "seed");
  if (!(DATASET_SIZES as readonly string[]).includes(values.size)) fail(`--size must be one of ${DATASET_SIZES.join(", ")}`);
  const size = values.size as DatasetSize;

  if (values["ground-truth"] !== undefined) {
    await writeGroundTruth(new Dataset(seed, size), values["ground-truth"]);
    return;
  }
  if (values["minimal-requests"]) {
    console.log(JSON.stringify(new Dataset(seed, size).minimalRequests(), null, 2));
    return;
  }

  const sim = await startSimulator({
    seed,
    size,
    port: integer(values.port, "port"),
    latencyMs: integer(values["latency-ms"], "latency-ms"),
    ...(values.token === undefined ? {} : { tokens: values.token }),
  });
  console.log(`Asana simulator listening on ${sim.baseUrl} (token: ${sim.token}, seed ${seed}, size ${size})`);
  await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")]);
  await sim.close();
  console.log(`request stats: ${JSON.stringify(sim.stats())}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exit(1);
});
