/**
 * npm run bench:scope — what scoping a sync saves.
 *
 * Full refresh of every stream on the simulator (medium dataset, seed 1 by default), unthrottled:
 * once with the default config, once with `include_archived_projects: false`, once scoped to one
 * workspace and once to one project. Prints the requests and records of each.
 *
 *   node dist/bench/scope.js [--size medium] [--seed 1]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type DatasetSize, startSimulator } from "../integration_tests/simulator/index.js";
import { UNTHROTTLED, prepareFullSync, runCli, runScript } from "./full-sync.js";

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { size: { type: "string", default: "medium" }, seed: { type: "string", default: "1" } } });
  const sim = await startSimulator({ seed: Number(values.seed), size: values.size as DatasetSize });
  const dir = mkdtempSync(join(tmpdir(), "bench-scope-"));
  const projects = [...sim.dataset.groundTruth("projects")];
  const organization = [...sim.dataset.groundTruth("workspaces")].find((w) => w.is_organization === true)!;
  const project = projects.find((p) => p.archived === false)!;
  const runs: Array<[string, Record<string, unknown>]> = [
    ["default config (archived projects included)", {}],
    ["include_archived_projects: false", { include_archived_projects: false }],
    [`workspaces: [${String(organization.name)}]`, { workspaces: [organization.name] }],
    ["projects: [one project]", { projects: [String(project.gid)] }],
  ];
  let failed = 0;
  try {
    const archived = projects.filter((p) => p.archived === true).length;
    for (const [i, [label, scope]] of runs.entries()) {
      const sync = await prepareFullSync(sim, dir, { ...UNTHROTTLED, ...scope });
      if (i === 0) console.log(`dataset: ${values.size} (seed ${values.seed}), ${sim.dataset.counts().tasks} tasks, ${archived} archived projects; full refresh of ${sync.streams.length} streams`);
      sim.resetStats();
      let records = 0;
      const code = await runCli(["read", "--config", sync.configPath, "--catalog", sync.catalogPath], (_line, m) => {
        if (m.type === "RECORD") records++;
      });
      if (code !== 0) failed++;
      console.log(`${label.padEnd(48)} ${String(sim.stats().total).padStart(6)} requests, ${records} records (exit ${code})`);
    }
  } finally {
    await sim.close();
  }
  return failed ? 1 : 0;
}

runScript("bench:scope", main);
