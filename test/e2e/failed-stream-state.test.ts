/**
 * A stream that fails mid-sync must not let its parents' positions pass what it never read: the
 * next sync, from the last STATEs, delivers every record the failed one missed. (Children are
 * read only for parents changed since their position, so a position that moved too far would
 * lose those children for good.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { patConfig, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { applyToTable, mixedCatalog, stateFileOf } from "../helpers/sync.js";

const STREAMS = ["tasks", "stories"];

let sim: Simulator;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, size: "small" });
  dir = tempDir("source-asana-failed-");
});

afterAll(async () => {
  await sim?.close();
});

describe("a stream failing mid-sync", () => {
  it("keeps its parents' positions behind what it did not read; the next sync fills the gap", async () => {
    // One worker, so the failure happens while other tasks' stories are still queued.
    const config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token, { num_workers: 1, _checkpoint_interval_ms: 0 }));
    const catalog = writeJson(dir, "catalog.json", mixedCatalog(STREAMS));
    const [looping] = sim.dataset.sampleGids("task", 1, 2);
    sim.configure({ repeatOffsetFor: [looping!] });
    let first;
    try {
      first = await runAirbyte(["read", "--config", config, "--catalog", catalog]);
    } finally {
      sim.configure({ repeatOffsetFor: null });
    }
    expect(first.code, "the first sync fails (stories loop on one task)").not.toBe(0);
    const truth = new Map([...sim.dataset.groundTruth("stories")].map((r) => [String(r.gid), r]));
    const firstStories = new Map<string, Record<string, unknown>>();
    applyToTable(firstStories, first.messages, "stories");
    expect(firstStories.size, "the failure left stories unread").toBeLessThan(truth.size);

    const second = await runAirbyte(["read", "--config", config, "--catalog", catalog, "--state", writeJson(dir, "state.json", stateFileOf(first.messages))]);
    expect(second.code, second.stderr).toBe(0);
    const table = new Map<string, Record<string, unknown>>();
    for (const messages of [first.messages, second.messages]) applyToTable(table, messages, "stories");
    const missing = [...truth.keys()].filter((gid) => !table.has(gid));
    expect(missing, "stories lost for good").toEqual([]);
  }, 60_000);
});
