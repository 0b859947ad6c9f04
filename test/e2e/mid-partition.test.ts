/**
 * Mid-partition checkpoints: a project of several pages of tasks is checkpointed page by page
 * (once a page's tasks and everything read because of them are emitted), and a sync killed there
 * resumes from the next page's token instead of the project's first page, losing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { AIRBYTE_BIN, type AirbyteMessage, patConfig, runAirbyte, runUntilKilled, tempDir, writeJson } from "../helpers/cli.js";
import { type RecordingProxy, startRecordingProxy } from "../helpers/recording-proxy.js";
import { applyToTable, mixedCatalog, stateFileOf } from "../helpers/sync.js";

const STREAMS = ["tasks", "stories"];

interface PartitionState {
  partition: { project_gid?: string };
  cursor: Record<string, string>;
}

let sim: Simulator;
let proxy: RecordingProxy;
let dir: string;
let catalog: string;

beforeAll(async () => {
  // Medium: some projects hold several hundred tasks (several pages of 100).
  sim = await startSimulator({ seed: 1, size: "medium", latencyMs: 2 });
  proxy = await startRecordingProxy(sim.baseUrl);
  dir = tempDir("source-asana-mid-");
  catalog = writeJson(dir, "catalog.json", mixedCatalog(STREAMS));
});

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
});

const config = (): string =>
  writeJson(dir, "config.json", patConfig(proxy.baseUrl, sim.token, { num_workers: 2, _checkpoint_interval_ms: 0 }));

/**
 * A tasks partition checkpointed part of the way (2+ pages), in the tasks STATE: its consumers
 * (stories, keeping it in their parent_state) checkpoint before tasks, so both streams' states
 * then hold it, and the resumed sync (which takes the older of the two) continues from exactly
 * this token.
 */
function partResumed(message: AirbyteMessage): PartitionState | undefined {
  if (message.type !== "STATE" || message.state!.stream.stream_descriptor.name !== "tasks") return undefined;
  const blob = message.state!.stream.stream_state as { states?: PartitionState[] };
  return blob.states?.find((s) => Number(s.cursor.resume_pages) >= 2);
}

describe("mid-partition checkpoints (medium dataset)", () => {
  it("a sync killed inside a project resumes from the next page's token and loses nothing", async () => {
    const configPath = config();
    const run = await runUntilKilled(AIRBYTE_BIN, ["read", "--config", configPath, "--catalog", catalog], (line) =>
      partResumed(JSON.parse(line) as AirbyteMessage) !== undefined,
    );
    const killed = run.lines.map((l) => JSON.parse(l) as AirbyteMessage);
    const last = killed.at(-1)!;
    const part = partResumed(last);
    expect(part, "a tasks STATE with a project read part of the way (2+ pages)").toBeDefined();
    const project = part!.partition.project_gid!;
    const pages = Number(part!.cursor.resume_pages);
    // Everything before the STATE is committed (each stream up to its last STATE).
    const lastState = new Map<string, number>();
    killed.forEach((m, i) => m.type === "STATE" && lastState.set(m.state!.stream.stream_descriptor.name, i));
    const committed = killed.filter((m, i) => m.type !== "RECORD" || i < (lastState.get(m.record!.stream) ?? -1));

    const before = proxy.urls.length;
    const stateFile = writeJson(dir, "resume.json", stateFileOf(committed));
    const resumed = await runAirbyte(["read", "--config", configPath, "--catalog", catalog, "--state", stateFile]);
    expect(resumed.code, resumed.stderr).toBe(0);

    // The resumed sync asked for that project's tasks from the saved token, never from page 1.
    const projectListings = proxy.urls
      .slice(before)
      .filter((u) => u.startsWith("/api/1.0/tasks?") && new URL(u, "http://x").searchParams.get("project") === project);
    expect(projectListings.length).toBeGreaterThan(0);
    const offsets = projectListings.map((u) => new URL(u, "http://x").searchParams.get("offset"));
    expect(offsets[0], "the first request continues from the checkpoint").toBe(part!.cursor.resume_token);
    expect(offsets).not.toContain(null);
    // ... so the tasks of the pages already done are not emitted again.
    const truthTasks = [...sim.dataset.groundTruth("tasks")];
    const inProject = new Set(
      truthTasks
        .filter((t) => (t.projects as Array<{ gid?: string }> | undefined)?.some((p) => p.gid === project))
        .map((t) => String(t.gid)),
    );
    const reEmitted = resumed.messages.filter((m) => m.type === "RECORD" && m.record!.stream === "tasks" && inProject.has(String(m.record!.data.gid)));
    expect(reEmitted.length).toBeLessThanOrEqual(inProject.size - pages * 100 + 100);

    // Nothing lost: committed records of the killed sync plus the resumed sync equal the ground truth.
    for (const stream of STREAMS) {
      const table = new Map<string, Record<string, unknown>>();
      for (const messages of [committed, resumed.messages]) applyToTable(table, messages, stream);
      const truth = new Map([...sim.dataset.groundTruth(stream as never)].map((r) => [String(r.gid), r]));
      const missing = [...truth.keys()].filter((g) => !table.has(g));
      expect(missing, `${stream}: lost across the kill`).toEqual([]);
      for (const [gid, record] of truth) expect(table.get(gid), `${stream} ${gid}`).toEqual(record);
    }
  }, 120_000);
});
