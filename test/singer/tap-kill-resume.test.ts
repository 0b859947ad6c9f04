/**
 * tap-asana killed at random points and restarted with the value of the last STATE it printed
 * (what Meltano keeps) loses nothing: the records before that STATE plus the resumed sync equal
 * the ground truth, for a first sync and for an incremental sync after mutations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { patConfig, runUntilKilled, tempDir, writeJson } from "../helpers/cli.js";
import { TAP_BIN, runTap } from "../helpers/singer.js";
import { duplicateBound, pagesInFlightBound } from "../e2e/resume-bound.js";

const WORKERS = 4;
const STREAMS = ["tasks", "subtasks", "stories", "attachments"];

interface SingerMessage {
  type: string;
  stream?: string;
  record?: Record<string, unknown>;
  value?: unknown;
}

let sim: Simulator;
let dir: string;
let config: string;
let catalog: string;

beforeAll(async () => {
  // Latency spreads the sync over time so kills land inside partitions as well as between them.
  sim = await startSimulator({ seed: 23, size: "small", latencyMs: 3 });
  dir = tempDir("tap-asana-kill-");
  config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token, { num_workers: WORKERS, _checkpoint_interval_ms: 0 }));
  const discover = await runTap(["--config", config, "--discover"]);
  expect(discover.code, discover.stderr).toBe(0);
  const discovered = JSON.parse(discover.stdout) as { streams: Array<{ stream: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> };
  for (const entry of discovered.streams) {
    for (const m of entry.metadata) if (m.breadcrumb.length === 0) m.metadata.selected = STREAMS.includes(entry.stream);
  }
  catalog = writeJson(dir, "catalog.json", discovered);
});

afterAll(async () => {
  await sim?.close();
});

/** Runs the tap with `state` and SIGKILLs it after `killAfter` stdout lines (undefined: runs to the end). */
async function runTapUntil(state: unknown, killAfter: number | undefined, name: string): Promise<{ messages: SingerMessage[]; code: number | null }> {
  const args = ["--config", config, "--catalog", catalog];
  if (state !== undefined) args.push("--state", writeJson(dir, `${name}.json`, state));
  const { lines, code } = await runUntilKilled(TAP_BIN, args, (_line, count) => count === killAfter);
  return { messages: lines.map((l) => JSON.parse(l) as SingerMessage), code };
}

/** What a target keeps of a run: the records before the last STATE, and that STATE's value. */
function committed(messages: SingerMessage[]): { records: SingerMessage[]; state: unknown } {
  let last = -1;
  messages.forEach((m, i) => m.type === "STATE" && (last = i));
  return {
    records: messages.filter((m, i) => m.type === "RECORD" && i < last),
    state: last >= 0 ? messages[last]!.value : undefined,
  };
}

/** Applies RECORD messages to per-stream tables keyed by gid (later rows replace earlier ones). */
function apply(tables: Map<string, Map<string, Record<string, unknown>>>, messages: SingerMessage[]): void {
  for (const m of messages) {
    if (m.type !== "RECORD") continue;
    const table = tables.get(m.stream!) ?? new Map<string, Record<string, unknown>>();
    tables.set(m.stream!, table);
    if (m.record!._sdc_deleted_at) table.delete(String(m.record!.gid));
    else table.set(String(m.record!.gid), m.record!);
  }
}

function expectGroundTruth(tables: Map<string, Map<string, Record<string, unknown>>>, when: string): void {
  for (const stream of STREAMS) {
    const table = tables.get(stream) ?? new Map<string, Record<string, unknown>>();
    const truth = new Map([...sim.dataset.groundTruth(stream as never)].map((r) => [String(r.gid), r]));
    const missing = [...truth.keys()].filter((gid) => !table.has(gid));
    expect(missing, `${stream}: lost after ${when}`).toEqual([]);
    for (const [gid, record] of truth) expect(table.get(gid), `${stream} ${gid} after ${when}`).toEqual(record);
  }
}

async function checkKills(baseState: unknown, base: SingerMessage[], total: number, points: number[]): Promise<void> {
  for (const fraction of points) {
    const killAfter = Math.max(2, Math.floor(total * fraction));
    const killed = await runTapUntil(baseState, killAfter, `base-${killAfter}`);
    const kept = committed(killed.messages);
    const resumed = await runTapUntil(kept.state ?? baseState, undefined, `resume-${killAfter}`);
    expect(resumed.code).toBe(0);
    const emitted = [...kept.records, ...resumed.messages].filter((m) => m.type === "RECORD");
    const distinct = new Set(emitted.map((m) => `${m.stream}:${String(m.record!.gid)}`));
    const duplicates = emitted.length - distinct.size;
    const resumeFrom = (kept.state ?? baseState) as { bookmarks?: Record<string, unknown> } | undefined;
    const bound = duplicateBound({
      types: killed.messages.map((m) => m.type),
      committed: kept.records.map((m) => ({ stream: m.stream!, data: m.record! })),
      states: new Map(Object.entries(resumeFrom?.bookmarks ?? {})),
      workers: WORKERS,
    });
    console.log(
      `tap kill at line ${killAfter} of ${total}${baseState ? " (incremental)" : ""}: ${emitted.length} records emitted for ${distinct.size} distinct, ${duplicates} duplicates (in-flight estimate from the output ${bound})`,
    );
    const tables = new Map<string, Map<string, Record<string, unknown>>>();
    apply(tables, base);
    apply(tables, kept.records);
    apply(tables, resumed.messages);
    expectGroundTruth(tables, `a kill at line ${killAfter} of ${total}`);
    // A first sync re-emits at most what was in flight at the kill (as the output shows it). After
    // mutations, the change feed also asks for the children of changed records again, and a
    // resumed sync cannot tell a change it handled before the kill from one made after it: those
    // partitions are read again, so only the pages-in-flight bound of the workers holds.
    const limit = baseState === undefined ? bound : pagesInFlightBound(WORKERS);
    expect(duplicates, `duplicates after a kill at line ${killAfter}: at most the pages in flight`).toBeLessThanOrEqual(limit);
  }
}

describe("tap-asana killed and resumed from its last STATE", () => {
  it("a first sync killed anywhere resumes without loss", async () => {
    const whole = await runTapUntil(undefined, undefined, "whole");
    expect(whole.code).toBe(0);
    expect(whole.messages.filter((m) => m.type === "STATE").length, "checkpoints during the sync").toBeGreaterThan(STREAMS.length);
    await checkKills(undefined, [], whole.messages.length, [0.15, 0.4, 0.65, 0.9]);
  }, 120_000);

  it("an incremental sync after mutations killed anywhere resumes without loss", async () => {
    const first = await runTapUntil(undefined, undefined, "first");
    expect(first.code).toBe(0);
    const baseState = committed(first.messages).state;
    sim.mutate({ modifyTasks: 3, createTasks: 2, deleteTasks: 1, addComments: 2, addAttachments: 2, editSubtasks: 2, seed: 11 });
    const probe = await runTapUntil(baseState, undefined, "probe");
    expect(probe.code).toBe(0);
    await checkKills(baseState, first.messages, probe.messages.length, [0.2, 0.5, 0.8]);
  }, 120_000);
});
