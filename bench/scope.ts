/**
 * npm run bench:scope — what scoping a sync saves.
 *
 * Full refresh of every stream on the simulator (medium dataset, seed 1 by default): once with
 * the default config, once with `include_archived_projects: false`, once scoped to one workspace
 * and once to one project. Prints the requests and records of each.
 *
 *   node dist/bench/scope.js [--size medium] [--seed 1]
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

function readRecords(args: string[]): Promise<{ code: number; records: number }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, "read", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let records = 0;
    createInterface({ input: child.stdout }).on("line", (line) => {
      if ((JSON.parse(line) as { type: string }).type === "RECORD") records++;
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, records }));
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: "string", default: "medium" }, seed: { type: "string", default: "1" } } });
  const sim = await startSimulator({ seed: Number(values.seed), size: values.size as DatasetSize });
  const dir = mkdtempSync(join(tmpdir(), "bench-scope-"));
  const catalog = join(dir, "catalog.json");
  writeFileSync(
    catalog,
    JSON.stringify({
      streams: STREAM_NAMES.map((name) => ({
        stream: { name, json_schema: {}, supported_sync_modes: ["full_refresh"] },
        sync_mode: "full_refresh",
        destination_sync_mode: "overwrite",
      })),
    }),
  );
  const base = {
    credentials: { option_title: "PAT Credentials", personal_access_token: sim.token },
    base_url: sim.baseUrl,
    requests_per_second: 1000,
    max_requests_per_second: 1000,
    num_workers: 16,
  };
  const organization = [...sim.dataset.groundTruth("workspaces")].find((w) => w.is_organization === true)!;
  const project = [...sim.dataset.groundTruth("projects")].find((p) => p.archived === false)!;
  const runs: Array<[string, Record<string, unknown>]> = [
    ["default config (archived projects included)", {}],
    ["include_archived_projects: false", { include_archived_projects: false }],
    [`workspaces: [${String(organization.name)}]`, { workspaces: [organization.name] }],
    ["projects: [one project]", { projects: [String(project.gid)] }],
  ];
  try {
    const archived = [...sim.dataset.groundTruth("projects")].filter((p) => p.archived === true).length;
    console.log(`dataset: ${values.size} (seed ${values.seed}), ${sim.dataset.counts().tasks} tasks, ${archived} archived projects; full refresh of ${STREAM_NAMES.length} streams`);
    for (const [label, extra] of runs) {
      const config = join(dir, "config.json");
      writeFileSync(config, JSON.stringify({ ...base, ...extra }));
      sim.resetStats();
      const run = await readRecords(["--config", config, "--catalog", catalog]);
      console.log(`${label.padEnd(48)} ${String(sim.stats().total).padStart(6)} requests, ${run.records} records (exit ${run.code})`);
    }
  } finally {
    await sim.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
