/**
 * npm run bench:incremental — what an incremental sync costs after a small change.
 *
 * Full refresh of all 15 streams on the medium dataset (seed 1), then a first incremental sync
 * (which also collects the Events API tokens), then ~1 % of the tasks change (modified, created,
 * deleted, commented, given a file, subtasks edited), then a second incremental sync from the
 * first one's state. Prints the requests of each and the incremental share of the full sync.
 *
 *   node dist/bench/incremental.js [--size medium] [--seed 1] [--percent 1]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type DatasetSize, STREAM_NAMES, startSimulator } from "../integration_tests/simulator/index.js";

const CLI = resolve(fileURLToPath(import.meta.url), "../../src/cli/airbyte.js");
const INCREMENTAL = new Set(["tasks", "subtasks", "stories", "attachments", "status_updates"]);

interface Message {
  type: string;
  record?: { stream: string };
  state?: { stream: { stream_descriptor: { name: string } } };
}

function read(args: string[]): Promise<{ code: number; messages: Message[] }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, "read", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    const messages: Message[] = [];
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = JSON.parse(line) as Message;
      if (m.type === "RECORD" || m.type === "STATE") messages.push(m);
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, messages }));
  });
}

function catalog(incremental: boolean): unknown {
  return {
    streams: STREAM_NAMES.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ["full_refresh"] },
      sync_mode: incremental && INCREMENTAL.has(name) ? "incremental" : "full_refresh",
      destination_sync_mode: "append",
    })),
  };
}

function stateOf(messages: Message[]): unknown[] {
  const last = new Map<string, unknown>();
  for (const m of messages) if (m.type === "STATE") last.set(m.state!.stream.stream_descriptor.name, m.state);
  return [...last.values()];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { size: { type: "string", default: "medium" }, seed: { type: "string", default: "1" }, percent: { type: "string", default: "1" } },
  });
  const sim = await startSimulator({ seed: Number(values.seed), size: values.size as DatasetSize });
  const dir = mkdtempSync(join(tmpdir(), "bench-incremental-"));
  const config = join(dir, "config.json");
  writeFileSync(
    config,
    JSON.stringify({
      credentials: { option_title: "PAT Credentials", personal_access_token: sim.token },
      base_url: sim.baseUrl,
      requests_per_second: 1000,
      max_requests_per_second: 1000,
      num_workers: 16,
    }),
  );
  const full = join(dir, "full.json");
  const inc = join(dir, "incremental.json");
  writeFileSync(full, JSON.stringify(catalog(false)));
  writeFileSync(inc, JSON.stringify(catalog(true)));
  try {
    sim.resetStats();
    const fullRun = await read(["--config", config, "--catalog", full]);
    const fullRequests = sim.stats().total;
    sim.resetStats();
    const first = await read(["--config", config, "--catalog", inc]);
    const firstRequests = sim.stats().total;
    const tasks = sim.dataset.counts().tasks;
    const n = Math.max(1, Math.round((tasks * Number(values.percent)) / 100));
    const share = (k: number): number => Math.max(1, Math.round(n * k));
    const changes = sim.mutate({
      modifyTasks: share(0.4),
      createTasks: share(0.15),
      deleteTasks: share(0.1),
      addComments: share(0.15),
      addAttachments: share(0.1),
      editSubtasks: share(0.1),
      seed: 1,
    });
    const changed = Object.values(changes).reduce((a, list: string[]) => a + list.length, 0);
    const statePath = join(dir, "state.json");
    writeFileSync(statePath, JSON.stringify(stateOf(first.messages)));
    sim.resetStats();
    const second = await read(["--config", config, "--catalog", inc, "--state", statePath]);
    const secondRequests = sim.stats().total;
    const records = (ms: Message[]): number => ms.filter((m) => m.type === "RECORD").length;
    console.log(`dataset: ${values.size} (seed ${values.seed}), ${tasks} tasks; changed ${n} tasks (${values.percent} %), ${changed} changes in all`);
    console.log(`full refresh sync:          ${fullRequests} requests, ${records(fullRun.messages)} records (exit ${fullRun.code})`);
    console.log(`first incremental sync:     ${firstRequests} requests, ${records(first.messages)} records (exit ${first.code})`);
    console.log(`incremental after changes:  ${secondRequests} requests, ${records(second.messages)} records (exit ${second.code})`);
    console.log(`incremental share of a full sync: ${((100 * secondRequests) / fullRequests).toFixed(1)} % (target <= 5 %)`);
    const byRoute = Object.entries(sim.stats().byRoute).map(([r, k]) => `${r}=${k}`).join(", ");
    console.log(`incremental requests by route: ${byRoute}`);
  } finally {
    await sim.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
