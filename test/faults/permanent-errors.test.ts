/**
 * Permanent errors and pagination traps, each against the simulator (or a proxy in front
 * of it), each bounded in time:
 * - 401: the sync fails with config_error ("token is invalid or revoked");
 * - 402/403/404 on some partitions: those partitions are skipped with a WARN naming the reason,
 *   everything else is delivered exactly once, exit 0;
 * - an expired offset: that partition restarts from page 1 once, without duplicates (the manifest's
 *   filter matches the API's message; an offset that expires again and a repeating offset are
 *   engine rules, tested in process in test/engine/read.test.ts);
 * - a permanent 500 on one partition: bounded retries, then transient_error;
 * - another 400: the stream fails with Asana's own message, without retries.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, type StreamName, startSimulator } from "../../integration_tests/simulator/index.js";
import { recordsOf } from "../helpers/cli.js";
import {
  type Row,
  describeRun,
  errorsOf,
  expectGroundTruth,
  expectRecords,
  logsOf,
  startFaultProxy,
  statusesOf,
  sync,
} from "./support.js";

const gidAt = (record: Row, key: string): string | undefined => {
  const value = record[key];
  return value && typeof value === "object" ? String((value as Row).gid) : undefined;
};

describe("permanent errors (small dataset)", () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 2, size: "small" });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it("401: fails the sync with config_error and says the token is invalid or revoked", async () => {
    const result = await sync(sim.baseUrl, "revoked-token", {}, ["workspaces", "projects", "tasks"], 30_000);
    expect(result.code).not.toBe(0);
    const errors = errorsOf(result);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.failure_type).toBe("config_error");
    expect(errors[0]!.message).toContain("token is invalid or revoked");
    expect(result.messages.filter((m) => m.type === "RECORD")).toEqual([]);
    expect(statusesOf(result, "workspaces").at(-1)).toBe("INCOMPLETE");
    expect(result.stderr).toBe("");
  });

  it("402/403/404 on some partitions: skips them with a WARN naming the reason, delivers everything else", async () => {
    const ground = (stream: StreamName): Row[] => [...sim.dataset.groundTruth(stream)];
    const [paidOnly, forbidden] = sim.dataset.sampleGids("project", 2, 7);
    const victims = new Set([paidOnly!, forbidden!]);
    const projectsOf = (task: Row): string[] => ((task.projects as Row[] | undefined) ?? []).map((p) => String(p.gid));
    // A task outside both projects that has subtasks and stories: its children answer 404.
    const deleted = ground("tasks").find(
      (t) => (t.num_subtasks as number) > 0 && !projectsOf(t).some((p) => victims.has(p)) &&
        ground("stories").some((s) => gidAt(s, "target") === String(t.gid)),
    );
    expect(deleted, "a task with subtasks and stories outside the victim projects").toBeDefined();
    const deletedGid = String(deleted!.gid);
    sim.configure({
      partitionFaults: [
        { status: 402, gids: [paidOnly!] },
        { status: 403, gids: [forbidden!] },
        { status: 404, gids: [deletedGid] },
      ],
    });
    try {
      const result = await sync(sim.baseUrl, sim.token);
      expect(result.code, describeRun(result)).toBe(0);
      expect(errorsOf(result)).toEqual([]);
      expect(result.stderr).toBe("");

      // What a sync can still reach when those partitions are skipped.
      const tasks = ground("tasks").filter((t) => projectsOf(t).some((p) => !victims.has(p)));
      const taskGids = new Set(tasks.map((t) => String(t.gid)));
      const subtaskParent = new Map(ground("subtasks").map((s) => [String(s.gid), gidAt(s, "parent")!]));
      const reachable = (gid: string): boolean => {
        if (gid === deletedGid) return false;
        if (taskGids.has(gid)) return true;
        const parent = subtaskParent.get(gid);
        return parent !== undefined && parent !== deletedGid && reachable(parent);
      };
      const subtasks = ground("subtasks").filter((s) => reachable(gidAt(s, "parent")!) );
      const listed = new Set([...taskGids, ...subtasks.map((s) => String(s.gid))]);
      const readable = (gid: string): boolean => listed.has(gid) && gid !== deletedGid;
      const expected: Partial<Record<StreamName, Row[]>> = {
        sections: ground("sections").filter((s) => !victims.has(gidAt(s, "project")!)),
        tasks,
        subtasks,
        stories: ground("stories").filter((s) => readable(gidAt(s, "target")!)),
        attachments: ground("attachments").filter((a) => {
          const parent = gidAt(a, "parent")!;
          return a.parent && (a.parent as Row).resource_type === "project" ? !victims.has(parent) : readable(parent);
        }),
        status_updates: ground("status_updates").filter((u) => !victims.has(gidAt(u, "parent")!)),
      };
      // The faults removed something from each of these streams, and nothing else.
      for (const [stream, rows] of Object.entries(expected)) {
        expect(rows.length, `${stream} loses some records`).toBeLessThan(ground(stream as StreamName).length);
        expectRecords(result, stream, rows);
      }
      expect(recordsOf(result.messages, "tasks").map((t) => String(t.gid))).toContain(deletedGid);
      expectGroundTruth(result, sim, ["workspaces", "users", "teams", "team_memberships", "workspace_memberships", "projects", "tags", "project_templates", "webhooks"]);

      const warnings = logsOf(result, "WARN");
      const about = (gid: string): string[] => warnings.filter((w) => w.includes(gid));
      expect(about(paidOnly!).length).toBeGreaterThan(0);
      for (const w of about(paidOnly!)) expect(w).toMatch(/402 Payment Required.*paid Asana plan.*premium/);
      expect(about(forbidden!).length).toBeGreaterThan(0);
      for (const w of about(forbidden!)) expect(w).toMatch(/403 Forbidden/);
      // subtasks, stories and attachments of the deleted task.
      expect(about(deletedGid).length).toBe(3);
      for (const w of about(deletedGid)) expect(w).toMatch(/404 Not Found.*Not a recognized ID/);
      for (const stream of Object.keys(expected)) expect(statusesOf(result, stream).at(-1)).toBe("COMPLETE");
    } finally {
      sim.configure({ partitionFaults: null });
    }
  });

  it("a permanent 500 on one partition: bounded retries with backoff, then transient_error", async () => {
    const [broken] = sim.dataset.sampleGids("project", 1, 5);
    const proxy = await startFaultProxy(sim.origin, (url) =>
      url.startsWith("/api/1.0/tasks?") && url.includes(`project=${broken}`)
        ? { status: 500, body: { errors: [{ message: "Server Error", phrase: "6 sad squid snuggle softly" }] } }
        : undefined,
    );
    try {
      const started = Date.now();
      const result = await sync(proxy.baseUrl, sim.token, {}, ["projects", "tasks"], 30_000);
      const elapsed = Date.now() - started;
      expect(result.code).not.toBe(0);
      const errors = errorsOf(result);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.failure_type).toBe("transient_error");
      expect(errors[0]!.message).toContain(`tasks (project_gid=${broken}) failed after 5 retries`);
      expect(errors[0]!.message).toContain("HTTP 500: Server Error");
      // max_retries: 5 in the manifest = 6 attempts, then the partition fails.
      expect([...proxy.answered.values()]).toEqual([6]);
      expect(statusesOf(result, "tasks").at(-1)).toBe("INCOMPLETE");
      expectGroundTruth(result, sim, ["projects"]);
      // Exponential backoff from 0.05 s: at least 0.025 * (1 + 2 + 4 + 8 + 16) s of waiting.
      expect(elapsed).toBeGreaterThan(700);
    } finally {
      await proxy.close();
    }
  });

  it("another 400 fails the stream with Asana's own message, without retrying", async () => {
    const [bad] = sim.dataset.sampleGids("project", 1, 9);
    const message = `project: Not a recognized ID: ${bad}`;
    const proxy = await startFaultProxy(sim.origin, (url) =>
      url.startsWith(`/api/1.0/projects/${bad}/sections`)
        ? { status: 400, body: { errors: [{ message, help: "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors" }] } }
        : undefined,
    );
    try {
      const result = await sync(proxy.baseUrl, sim.token, {}, ["projects", "sections"], 30_000);
      expect(result.code).not.toBe(0);
      const errors = errorsOf(result);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toContain(message);
      expect(errors[0]!.failure_type).toBe("system_error");
      expect([...proxy.answered.values()]).toEqual([1]);
      expect(statusesOf(result, "sections").at(-1)).toBe("INCOMPLETE");
      expectGroundTruth(result, sim, ["projects"]);
    } finally {
      await proxy.close();
    }
  });
});

describe("expiring offsets (medium dataset: a project with 300+ tasks)", () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 1, size: "medium" });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it("an expired offset restarts that partition from page 1 once: no duplicates, nothing lost", async () => {
    sim.configure({ expireOffsetsOnce: true });
    try {
      sim.resetStats();
      const result = await sync(sim.baseUrl, sim.token, {}, ["projects", "tasks", "subtasks"], 60_000);
      expect(result.code, describeRun(result)).toBe(0);
      expect(errorsOf(result)).toEqual([]);
      expectGroundTruth(result, sim, ["projects", "tasks", "subtasks"]);
      const restarts = logsOf(result, "WARN").filter((w) => w.includes("from its first page"));
      expect(restarts.length).toBeGreaterThan(0);
      for (const w of restarts) expect(w).toContain("pagination token has expired");
      const stats = sim.stats();
      expect(stats.byStatus["400"]).toBe(restarts.length);
      // Each restart costs the expired request and the pages read again before it.
      expect(stats.total).toBeGreaterThan(sim.dataset.minimalRequests().byStream.tasks);
    } finally {
      sim.configure({ expireOffsetsOnce: null });
    }
  }, 90_000);
});
