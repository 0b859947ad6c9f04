/**
 * A sync killed at random points and resumed from the last STATE it printed loses nothing: what a
 * destination committed (each stream's records up to its last STATE) plus the resumed sync equals
 * the ground truth. Checked for a first sync and for an incremental sync after mutations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { AIRBYTE_BIN, type AirbyteMessage, patConfig, runAirbyte, runUntilKilled, tempDir, writeJson } from "../helpers/cli.js";
import { applyToTable, mixedCatalog, stateFileOf } from "../helpers/sync.js";
import { duplicateBound, pagesInFlightBound } from "./resume-bound.js";

const WORKERS = 4;
const STREAMS = ["projects", "tasks", "subtasks", "stories", "attachments", "status_updates"];
const CHECKED = ["tasks", "subtasks", "stories", "attachments", "status_updates"];

let sim: Simulator;
let dir: string;
let config: string;
let catalog: string;

beforeAll(async () => {
  // Latency spreads the sync over time so kills land mid-partition as well as between partitions.
  sim = await startSimulator({ seed: 21, size: "small", latencyMs: 3 });
  dir = tempDir();
  config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token, { num_workers: WORKERS, _checkpoint_interval_ms: 0 }));
  catalog = writeJson(dir, "catalog.json", mixedCatalog(STREAMS));
});

afterAll(async () => {
  await sim?.close();
});

/** Runs a read and SIGKILLs it once `killAfter` stdout lines have arrived; returns those lines. */
async function readUntilKilled(stateFile: string | undefined, killAfter: number): Promise<AirbyteMessage[]> {
  const args = ["read", "--config", config, "--catalog", catalog, ...(stateFile ? ["--state", stateFile] : [])];
  const { lines } = await runUntilKilled(AIRBYTE_BIN, args, (_line, count) => count === killAfter);
  return lines.map((l) => JSON.parse(l) as AirbyteMessage);
}

/** What a destination commits: each stream's records up to that stream's last STATE. */
function committed(messages: AirbyteMessage[]): AirbyteMessage[] {
  const lastState = new Map<string, number>();
  messages.forEach((m, i) => {
    if (m.type === "STATE") lastState.set(m.state!.stream.stream_descriptor.name, i);
  });
  return messages.filter((m, i) => m.type !== "RECORD" || i < (lastState.get(m.record!.stream) ?? -1));
}

/** Deterministic kill points spread over a run of `total` lines. */
function killPoints(total: number, count: number, seed: number): number[] {
  let x = seed;
  const points: number[] = [];
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    points.push(1 + Math.floor(((i + (x % 1000) / 1000) / count) * (total - 2)));
  }
  return points;
}

/** Prints the records emitted more than once across the killed and the resumed run; returns that count. */
function reportDuplicates(label: string, runs: AirbyteMessage[][], bound: number): number {
  let emitted = 0;
  const unique = new Set<string>();
  for (const messages of runs) {
    for (const m of messages) {
      if (m.type !== "RECORD") continue;
      emitted++;
      unique.add(`${m.record!.stream}:${String(m.record!.data.gid)}`);
    }
  }
  const duplicates = emitted - unique.size;
  console.log(`${label}: ${emitted} records emitted for ${unique.size} distinct, ${duplicates} duplicates (in-flight estimate from the output ${bound})`);
  return duplicates;
}

async function checkResume(baseState: unknown[] | undefined, base: AirbyteMessage[], total: number, seed: number): Promise<void> {
  for (const killAfter of killPoints(total, 4, seed)) {
    const stateFile = baseState ? writeJson(dir, `base-${seed}-${killAfter}.json`, baseState) : undefined;
    const killed = await readUntilKilled(stateFile, killAfter);
    const partial = committed(killed);
    // The state to resume from: the killed run's last STATE per stream, else the one before it.
    const merged = new Map<string, unknown>();
    for (const s of [...(baseState ?? []), ...stateFileOf(partial)] as Array<{ stream: { stream_descriptor: { name: string } } }>) {
      merged.set(s.stream.stream_descriptor.name, s);
    }
    const resumeFile = writeJson(dir, `resume-${seed}-${killAfter}.json`, [...merged.values()]);
    const resumed = await runAirbyte(["read", "--config", config, "--catalog", catalog, "--state", resumeFile]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const bound = duplicateBound({
      types: killed.map((m) => m.type),
      committed: partial.flatMap((m) => (m.type === "RECORD" ? [m.record!] : [])),
      states: new Map([...merged].map(([name, s]) => [name, (s as { stream: { stream_state?: unknown } }).stream.stream_state])),
      workers: WORKERS,
    });
    const duplicates = reportDuplicates(`kill at line ${killAfter} of ${total}${baseState ? " (incremental)" : ""}`, [partial, resumed.messages], bound);
    for (const stream of CHECKED) {
      const table = new Map<string, Record<string, unknown>>();
      for (const messages of [base, partial, resumed.messages]) applyToTable(table, messages, stream);
      const truth = new Map([...sim.dataset.groundTruth(stream as never)].map((r) => [String(r.gid), r]));
      if (stream !== "tasks") for (const gid of table.keys()) if (!truth.has(gid)) table.delete(gid);
      const missing = [...truth.keys()].filter((g) => !table.has(g));
      expect(missing, `${stream}: lost after a kill at line ${killAfter}`).toEqual([]);
      for (const [gid, record] of truth) expect(table.get(gid), `${stream} ${gid} after a kill at line ${killAfter}`).toEqual(record);
    }
    // A first sync re-emits at most what was in flight at the kill (as the output shows it). After
    // mutations, the change feed also asks for the children of changed records again, and a
    // resumed sync cannot tell a change it handled before the kill from one made after it: those
    // partitions are read again, so only the pages-in-flight bound of the workers holds.
    const limit = baseState === undefined ? bound : pagesInFlightBound(WORKERS);
    expect(duplicates, `duplicates after a kill at line ${killAfter}: at most the pages in flight`).toBeLessThanOrEqual(limit);
  }
}

describe("kill and resume", () => {
  it("a first sync killed anywhere resumes without loss", async () => {
    const full = await runAirbyte(["read", "--config", config, "--catalog", catalog]);
    expect(full.code).toBe(0);
    const states = full.messages.filter((m) => m.type === "STATE").length;
    expect(states, "checkpoints during the sync").toBeGreaterThan(STREAMS.length);
    await checkResume(undefined, [], full.lines.length, 1);
  }, 120_000);

  it("an incremental sync after mutations killed anywhere resumes without loss", async () => {
    const first = await runAirbyte(["read", "--config", config, "--catalog", catalog]);
    expect(first.code).toBe(0);
    sim.mutate({ modifyTasks: 3, createTasks: 2, deleteTasks: 1, addComments: 2, addAttachments: 2, editSubtasks: 2, seed: 9 });
    const baseState = stateFileOf(first.messages);
    const probe = await runAirbyte(["read", "--config", config, "--catalog", catalog, "--state", writeJson(dir, "probe.json", baseState)]);
    expect(probe.code).toBe(0);
    await checkResume(baseState, first.messages, probe.lines.length, 2);
  }, 120_000);
});
