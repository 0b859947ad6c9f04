/**
 * Upgrades keep states: a state written by release 0.1.0 (integration_tests/states/, captured
 * from a sync of the small simulator dataset, seed 7) is accepted by the current release, which
 * continues incrementally from it and writes states of the same shape back; so are states written
 * by release 1.0.0, finished or interrupted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { projectFile, readProjectJson } from "../helpers/acceptance.js";
import { type CliResult, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { mixedCatalog, stateFileOf } from "../helpers/sync.js";

type StateEntry = { stream: { stream_descriptor: { name: string }; stream_state: Record<string, unknown> } };

const OLD_STATE = "integration_tests/states/state-0.1.0.json";

let sim: Simulator;
let result: CliResult;
const old = readProjectJson(OLD_STATE) as unknown as StateEntry[];

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, size: "small" });
  const dir = tempDir();
  const config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token));
  const streams = old.map((s) => s.stream.stream_descriptor.name);
  const catalog = writeJson(dir, "catalog.json", mixedCatalog(streams));
  result = await runAirbyte(["read", "--config", config, "--catalog", catalog, "--state", projectFile(OLD_STATE)]);
}, 120_000);

afterAll(async () => {
  await sim?.close();
});

describe("a state written by release 0.1.0", () => {
  it("is accepted: the sync succeeds without an error", () => {
    expect(result.messages.filter((m) => m.type === "TRACE" && m.trace?.type === "ERROR")).toEqual([]);
    expect(result.code).toBe(0);
  });

  it("is continued from, not ignored: the incremental streams read less than a first sync", () => {
    // The old cursors sit at the end of the dataset: an incremental sync from them finds few or no tasks.
    const tasks = recordsOf(result.messages, "tasks").filter((r) => !r._ab_cdc_deleted_at);
    expect(tasks.length).toBeLessThan([...sim.dataset.groundTruth("tasks")].length);
    expect(recordsOf(result.messages, "projects").length, "full-refresh streams are read in full").toBe([...sim.dataset.groundTruth("projects")].length);
  });

  it("comes back in the same shape: the same streams and the same state keys", () => {
    const now = stateFileOf(result.messages) as StateEntry[];
    const keys = (entries: StateEntry[]) =>
      Object.fromEntries(entries.map((s) => [s.stream.stream_descriptor.name, Object.keys(s.stream.stream_state).sort()]));
    expect(keys(now)).toEqual(keys(old));
  });
});

describe("states written by release 1.0.0", () => {
  // Captured from sync of the small dataset (seed 7): one that finished, and one killed early
  // (part-read full-refresh partitions listed complete).
  for (const file of ["integration_tests/states/state-1.0.0.json", "integration_tests/states/state-1.0.0-interrupted.json"]) {
    it(`${file} is accepted and continued from`, async () => {
      const saved = readProjectJson(file) as unknown as StateEntry[];
      const dir = tempDir();
      const config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token));
      const catalog = writeJson(dir, "catalog.json", mixedCatalog(saved.map((s) => s.stream.stream_descriptor.name)));
      const run = await runAirbyte(["read", "--config", config, "--catalog", catalog, "--state", projectFile(file)]);
      expect(run.messages.filter((m) => m.type === "TRACE" && m.trace?.type === "ERROR")).toEqual([]);
      expect(run.code, run.stderr).toBe(0);
      // Every stream ends with a state again, and the full-refresh ones read in full.
      const now = stateFileOf(run.messages) as StateEntry[];
      expect(now.map((s) => s.stream.stream_descriptor.name).sort()).toEqual(saved.map((s) => s.stream.stream_descriptor.name).sort());
      expect(recordsOf(run.messages, "projects").length).toBe([...sim.dataset.groundTruth("projects")].length);
    }, 60_000);
  }
});
