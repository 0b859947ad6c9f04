/**
 * Incremental syncs: a second sync after mutations catches every change (modified, new and
 * deleted tasks, new and deleted comments, files that do not move a task's modified_at, subtask edits),
 * re-emits nothing unchanged outside the partitions it must re-read, and costs a fraction of a
 * full sync. A sync killed at random points and resumed from its last STATE loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MutationResult, type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { type AirbyteMessage, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { applyToTable, mixedCatalog, stateFileOf } from "../helpers/sync.js";

const STREAMS = ["projects", "tasks", "subtasks", "stories", "attachments", "status_updates"];
const CHILDREN = ["subtasks", "stories", "attachments"];

let sim: Simulator;
let dir: string;
let config: string;
let catalog: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 11, size: "small" });
  dir = tempDir();
  config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token));
  catalog = writeJson(dir, "catalog.json", mixedCatalog(STREAMS));
});

afterAll(async () => {
  await sim?.close();
});

function groundTruthTable(stream: string): Map<string, Record<string, unknown>> {
  return new Map([...sim.dataset.groundTruth(stream as never)].map((r) => [String(r.gid), r]));
}

describe("two incremental syncs around mutations", () => {
  let first: AirbyteMessage[];
  let second: AirbyteMessage[];
  let changes: MutationResult;
  let secondRequests: number;
  let fullRequests: number;

  beforeAll(async () => {
    sim.resetStats();
    const r1 = await runAirbyte(["read", "--config", config, "--catalog", catalog]);
    expect(r1.code, r1.stderr).toBe(0);
    first = r1.messages;
    fullRequests = sim.stats().total;
    changes = sim.mutate({ modifyTasks: 3, createTasks: 2, deleteTasks: 2, addComments: 3, deleteComments: 2, addAttachments: 2, editSubtasks: 2, seed: 5 });
    const state = writeJson(dir, "state.json", stateFileOf(first));
    sim.resetStats();
    const r2 = await runAirbyte(["read", "--config", config, "--catalog", catalog, "--state", state]);
    expect(r2.code, r2.stderr).toBe(0);
    second = r2.messages;
    secondRequests = sim.stats().total;
  }, 120_000);

  it("ends with exactly the ground truth after applying both syncs", () => {
    for (const stream of ["tasks", ...CHILDREN]) {
      const table = new Map<string, Record<string, unknown>>();
      applyToTable(table, first, stream);
      applyToTable(table, second, stream);
      const truth = groundTruthTable(stream);
      // Children of deleted tasks disappear from Asana; a destination keeps them (no tombstones for them).
      if (stream !== "tasks") for (const gid of table.keys()) if (!truth.has(gid)) table.delete(gid);
      expect([...table.keys()].sort(), stream).toEqual([...truth.keys()].sort());
      for (const [gid, record] of truth) expect(table.get(gid), `${stream} ${gid}`).toEqual(record);
    }
  });

  it("catches every kind of change", () => {
    const tasks = recordsOf(second, "tasks");
    const emitted = new Set(tasks.map((t) => String(t.gid)));
    for (const gid of [...changes.modifiedTasks, ...changes.createdTasks]) expect(emitted.has(gid), `task ${gid}`).toBe(true);
    const tombstones = tasks.filter((t) => t._ab_cdc_deleted_at).map((t) => String(t.gid));
    expect(tombstones.sort()).toEqual([...changes.deletedTasks].sort());
    const stories = new Set(recordsOf(second, "stories").map((s) => String(s.gid)));
    for (const gid of changes.newStories) expect(stories.has(gid), `story ${gid}`).toBe(true);
    const storyTombstones = recordsOf(second, "stories").filter((s) => s._ab_cdc_deleted_at).map((s) => String(s.gid));
    expect(changes.deletedStories.length).toBe(2);
    expect(storyTombstones.sort(), "deleted comments arrive as tombstones").toEqual([...changes.deletedStories].sort());
    const attachments = new Set(recordsOf(second, "attachments").map((a) => String(a.gid)));
    for (const gid of changes.newAttachments) expect(attachments.has(gid), `attachment ${gid}`).toBe(true);
    const subtasks = new Map(recordsOf(second, "subtasks").map((s) => [String(s.gid), s]));
    const truth = groundTruthTable("subtasks");
    for (const gid of changes.editedSubtasks) expect(subtasks.get(gid), `subtask ${gid}`).toEqual(truth.get(gid));
  });

  it("re-emits nothing unchanged outside the partitions it must re-read", () => {
    const changedTasks = new Set([...changes.modifiedTasks, ...changes.createdTasks]);
    const tasks = recordsOf(second, "tasks").filter((t) => !t._ab_cdc_deleted_at);
    expect(tasks.map((t) => String(t.gid)).sort()).toEqual([...changedTasks].sort());
    // Partitions that must be re-read: children of changed tasks and subtasks, of tasks with a new
    // comment or file, and the subtasks of edited subtasks' parents.
    const truthSubtasks = groundTruthTable("subtasks");
    const parentOf = (gid: string): string => String((truthSubtasks.get(gid)?.parent as { gid?: string } | undefined)?.gid);
    const rereadStories = new Set([...changedTasks, ...changes.editedSubtasks, ...changes.commentedTasks, ...changes.attachedTasks]);
    const rereadSubtasks = new Set([...changedTasks, ...changes.editedSubtasks.map(parentOf)]);
    for (const story of recordsOf(second, "stories").filter((s) => !s._ab_cdc_deleted_at)) {
      expect(rereadStories.has(String((story.target as { gid: string }).gid)), `story ${String(story.gid)}`).toBe(true);
    }
    for (const attachment of recordsOf(second, "attachments")) {
      const parent = String((attachment.parent as { gid: string }).gid);
      const isProject = sim.dataset.lookup(parent)?.stream === "projects";
      expect(isProject || rereadStories.has(parent), `attachment ${String(attachment.gid)}`).toBe(true);
    }
    for (const subtask of recordsOf(second, "subtasks")) {
      const parent = String((subtask.parent as { gid: string }).gid);
      const underChanged = rereadSubtasks.has(parent) || recordsOf(second, "subtasks").some((s) => String(s.gid) === parent);
      expect(underChanged, `subtask ${String(subtask.gid)}`).toBe(true);
    }
  });

  it("costs a fraction of the full sync", () => {
    console.log(`incremental sync: ${secondRequests} requests vs ${fullRequests} for the first sync`);
    expect(secondRequests).toBeLessThan(fullRequests / 2);
  });
});

describe("change feed edge cases", () => {
  let edge: Simulator;
  let edgeConfig: string;

  beforeAll(async () => {
    edge = await startSimulator({ seed: 12, size: "small" });
    edgeConfig = writeJson(dir, "edge-config.json", patConfig(edge.baseUrl, edge.token));
  });

  afterAll(async () => {
    await edge?.close();
  });

  async function syncAfter(mutate: () => void): Promise<{ first: AirbyteMessage[]; second: AirbyteMessage[] }> {
    const r1 = await runAirbyte(["read", "--config", edgeConfig, "--catalog", catalog]);
    expect(r1.code, r1.stderr).toBe(0);
    mutate();
    edge.resetStats();
    const state = writeJson(dir, `edge-state-${Date.now()}.json`, stateFileOf(r1.messages));
    const r2 = await runAirbyte(["read", "--config", edgeConfig, "--catalog", catalog, "--state", state]);
    expect(r2.code, r2.stderr).toBe(0);
    return { first: r1.messages, second: r2.messages };
  }

  function expectGroundTruth(first: AirbyteMessage[], second: AirbyteMessage[]): void {
    for (const stream of ["tasks", ...CHILDREN]) {
      const table = new Map<string, Record<string, unknown>>();
      applyToTable(table, first, stream);
      applyToTable(table, second, stream);
      const truth = new Map([...edge.dataset.groundTruth(stream as never)].map((r) => [String(r.gid), r]));
      if (stream !== "tasks") for (const gid of table.keys()) if (!truth.has(gid)) table.delete(gid);
      expect([...table.keys()].sort(), stream).toEqual([...truth.keys()].sort());
      for (const [gid, record] of truth) expect(table.get(gid), `${stream} ${gid}`).toEqual(record);
    }
  }

  it("pages through more than 100 events of a project (has_more)", async () => {
    const { first, second } = await syncAfter(() => {
      for (let i = 0; i < 15; i++) edge.mutate({ addComments: 40, modifyTasks: 2, seed: 100 + i });
    });
    const projects = edge.dataset.counts().projects;
    expect(edge.stats().byRoute["GET /events"], "several event pages per project").toBeGreaterThan(projects);
    expectGroundTruth(first, second);
  });

  it("re-reads a project fully when its sync token is older than 24 hours (412)", async () => {
    const { first, second } = await syncAfter(() => {
      edge.mutate({ modifyTasks: 2, addComments: 2, editSubtasks: 1, seed: 300 });
      edge.advanceClock(25 * 3600 * 1000);
    });
    expect(edge.stats().byStatus["412"], "every token expired").toBe(edge.dataset.counts().projects);
    // A full re-read of every project: every task is emitted again.
    expect(recordsOf(second, "tasks").length).toBe(edge.dataset.counts().tasks);
    expectGroundTruth(first, second);
  });
});
