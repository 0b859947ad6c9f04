/**
 * Runs the Asana simulator from the command line.
 *
 *   node dist/integration_tests/simulator/cli.js --seed 1 --size medium [--port 0] [--token T]... [--service-account-token T]... [--latency-ms N]
 *       [--budget 1500 [--budget-window-ms 60000] [--budget-ignore-rejected]] [--max-concurrent 50]
 *       [--fault-rate 0.02 --faults 500-html,502,503-json,504,reset,truncated,non-json,slow [--fault-seed N] [--slow-ms 2000]]
 *       [--partition-fault 403:GID,GID]... [--offset-ttl-ms N] [--expire-offsets-once] [--repeat-offset-for GID,GID]
 *       [--oauth-client-id ID --oauth-client-secret S --oauth-refresh-token R [--access-token-ttl 3600]]
 *       [--start-time 2025-01-01T00:00:00Z]
 *       serves until SIGINT/SIGTERM, then prints the request statistics. --max-concurrent 0 = no
 *       limit. Runtime changes: POST /_sim/configure, /_sim/mutate, /_sim/clock, /_sim/expire-tokens.
 *   node dist/integration_tests/simulator/cli.js --seed 1 --size small --ground-truth DIR
 *       writes DIR/<stream>.jsonl for every stream and exits
 *   node dist/integration_tests/simulator/cli.js --seed 1 --size medium --minimal-requests
 *       prints the requests a perfect full sync needs (limit=100), for a personal token and for a
 *       service account, as JSON, and exits
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Dataset, type DatasetSize } from "./dataset.js";
import { DATASET_SIZES } from "./structure.js";
import { startSimulator, type SimulatorOptions } from "./index.js";
import { FAULT_KINDS, type FaultKind, type PartitionFault } from "./options.js";

const USAGE = [
  "usage: cli.js [--seed N] [--size small|medium|large] [--port N] [--token T]... [--service-account-token T]... [--latency-ms N]",
  "              [--budget N [--budget-window-ms MS] [--budget-ignore-rejected]] [--max-concurrent N]",
  `              [--fault-rate R --faults ${FAULT_KINDS.join(",")} [--fault-seed N] [--slow-ms MS]]`,
  "              [--partition-fault 402|403|404:GID[,GID...]]... [--offset-ttl-ms MS] [--expire-offsets-once] [--repeat-offset-for GID[,GID...]]",
  "              [--oauth-client-id ID --oauth-client-secret SECRET --oauth-refresh-token TOKEN [--access-token-ttl SECONDS]]",
  "              [--start-time ISO] [--ground-truth DIR | --minimal-requests]",
].join("\n");

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function integer(raw: string, name: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

function list(raw: string): string[] {
  return raw
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");
}

function partitionFault(raw: string): PartitionFault {
  const match = /^(402|403|404):(.+)$/.exec(raw);
  if (match === null) fail(`--partition-fault must look like 403:GID,GID, got ${JSON.stringify(raw)}`);
  return { status: Number(match[1]) as PartitionFault["status"], gids: list(match[2]!) };
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
      "service-account-token": { type: "string", multiple: true },
      "latency-ms": { type: "string", default: "0" },
      budget: { type: "string" },
      "budget-window-ms": { type: "string" },
      "budget-ignore-rejected": { type: "boolean", default: false },
      "max-concurrent": { type: "string" },
      "fault-rate": { type: "string" },
      faults: { type: "string" },
      "fault-seed": { type: "string" },
      "slow-ms": { type: "string" },
      "partition-fault": { type: "string", multiple: true },
      "offset-ttl-ms": { type: "string" },
      "expire-offsets-once": { type: "boolean", default: false },
      "repeat-offset-for": { type: "string" },
      "oauth-client-id": { type: "string" },
      "oauth-client-secret": { type: "string" },
      "oauth-refresh-token": { type: "string" },
      "access-token-ttl": { type: "string" },
      "start-time": { type: "string" },
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
    const dataset = new Dataset(seed, size);
    // A personal token and a service account differ in portfolios and the audit log.
    console.log(JSON.stringify({ personal: dataset.minimalRequests("personal"), service_account: dataset.minimalRequests("service_account") }, null, 2));
    return;
  }

  const options: SimulatorOptions = {
    seed,
    size,
    port: integer(values.port, "port"),
    latencyMs: integer(values["latency-ms"], "latency-ms"),
    ...(values.token === undefined ? {} : { tokens: values.token }),
    ...(values["service-account-token"] === undefined ? {} : { serviceAccountTokens: values["service-account-token"] }),
  };
  if (values.budget !== undefined) {
    options.budget = { perMinute: integer(values.budget, "budget"), countRejected: !values["budget-ignore-rejected"] };
    if (values["budget-window-ms"] !== undefined) options.budget.windowMs = integer(values["budget-window-ms"], "budget-window-ms");
  }
  if (values["max-concurrent"] !== undefined) {
    const n = integer(values["max-concurrent"], "max-concurrent");
    options.maxConcurrentGets = n === 0 ? null : n;
  }
  if (values["fault-rate"] !== undefined || values.faults !== undefined) {
    const rate = Number(values["fault-rate"] ?? "0.02");
    if (!(rate >= 0 && rate <= 1)) fail(`--fault-rate must be in 0..1, got ${JSON.stringify(values["fault-rate"])}`);
    const kinds = values.faults === undefined ? [...FAULT_KINDS] : list(values.faults);
    for (const kind of kinds) if (!(FAULT_KINDS as readonly string[]).includes(kind)) fail(`unknown fault kind ${JSON.stringify(kind)} (known: ${FAULT_KINDS.join(", ")})`);
    options.faults = { rate, kinds: kinds as FaultKind[], seed: values["fault-seed"] === undefined ? 0 : integer(values["fault-seed"], "fault-seed") };
  }
  if (values["slow-ms"] !== undefined) options.slowMs = integer(values["slow-ms"], "slow-ms");
  if (values["partition-fault"] !== undefined) options.partitionFaults = values["partition-fault"].map(partitionFault);
  if (values["offset-ttl-ms"] !== undefined) options.offsetTtlMs = integer(values["offset-ttl-ms"], "offset-ttl-ms");
  if (values["expire-offsets-once"]) options.expireOffsetsOnce = true;
  if (values["repeat-offset-for"] !== undefined) options.repeatOffsetFor = list(values["repeat-offset-for"]);
  const oauthFlags = [values["oauth-client-id"], values["oauth-client-secret"], values["oauth-refresh-token"]];
  if (oauthFlags.some((v) => v !== undefined)) {
    const [clientId, clientSecret, refreshToken] = oauthFlags;
    if (clientId === undefined || clientSecret === undefined || refreshToken === undefined) fail("--oauth-client-id, --oauth-client-secret and --oauth-refresh-token go together");
    options.oauth = { clientId, clientSecret, refreshToken };
    if (values["access-token-ttl"] !== undefined) options.oauth.accessTokenTtlSeconds = integer(values["access-token-ttl"], "access-token-ttl");
  }
  if (values["start-time"] !== undefined) {
    const start = Date.parse(values["start-time"]);
    if (Number.isNaN(start)) fail(`--start-time must be an ISO date-time, got ${JSON.stringify(values["start-time"])}`);
    options.startTime = start;
  }

  const sim = await startSimulator(options);
  console.log(`Asana simulator listening on ${sim.baseUrl} (token: ${sim.token}, service-account token: ${sim.serviceAccountToken}, seed ${seed}, size ${size})`);
  if (options.oauth !== undefined) console.log(`OAuth token endpoint: ${sim.tokenUrl}`);
  await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")]);
  await sim.close();
  console.log(`request stats: ${JSON.stringify(sim.stats())}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exit(1);
});
