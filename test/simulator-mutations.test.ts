/**
 * Mutations between syncs and the Events API: `sim.mutate` changes exactly what it reports (ground
 * truth, counts, minimal requests and HTTP answers follow), `modified_since` sees the changes, and
 * `GET /events` answers 412 without a valid sync token, then the recorded events, oldest first,
 * 100 at a time, until the token expires on the simulated clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiRecord } from "../integration_tests/simulator/dataset.js";
import { KIND } from "../integration_tests/simulator/gids.js";
import {
  type AsanaEvent,
  type MutationResult,
  type Simulator,
  STREAM_NAMES,
  type StreamName,
  SYNC_INVALID_MESSAGE,
  startSimulator,
} from "../integration_tests/simulator/index.js";
import { RECORD_FIELDS } from "../integration_tests/simulator/fields.js";

type Body = {
  data?: unknown;
  next_page?: { uri: string } | null;
  errors?: { message: string }[];
  sync?: string;
  has_more?: boolean;
};

async function get(sim: Simulator, path: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(path.startsWith("http") ? path : `${sim.baseUrl}${path}`, { headers: { Authorization: `Bearer ${sim.token}` } });
  return { status: res.status, body: (await res.json()) as Body };
}

/** Follows next_page (limit=100) to the end; at most 200 pages. */
async function walk(sim: Simulator, path: string): Promise<{ items: ApiRecord[]; pages: number }> {
  const items: ApiRecord[] = [];
  let url: string | null = `${path}${path.includes("?") ? "&" : "?"}limit=100`;
  let pages = 0;
  while (url !== null && pages < 200) {
    const { status, body } = await get(sim, url);
    if (status !== 200) throw new Error(`${url}: HTTP ${status} ${JSON.stringify(body)}`);
    pages++;
    items.push(...(body.data as ApiRecord[]));
    url = body.next_page === null || body.next_page === undefined ? null : body.next_page.uri;
  }
  return { items, pages };
}

function snapshot(sim: Simulator): Record<StreamName, Map<string, string>> {
  const out = {} as Record<StreamName, Map<string, string>>;
  // Keyed by primary key: portfolio items by [portfolio_gid, gid] (a project can sit in several portfolios).
  const keyOf = (r: ApiRecord): string => (r.portfolio_gid === undefined ? (r.gid as string) : `${r.portfolio_gid as string}/${r.gid as string}`);
  for (const stream of STREAM_NAMES) out[stream] = new Map([...sim.dataset.groundTruth(stream)].map((r) => [keyOf(r), JSON.stringify(r)]));
  return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): { added: string[]; removed: string[]; changed: string[] } {
  const added = [...after.keys()].filter((g) => !before.has(g)).sort();
  const removed = [...before.keys()].filter((g) => !after.has(g)).sort();
  const changed = [...after.keys()].filter((g) => before.has(g) && before.get(g) !== after.get(g)).sort();
  return { added, removed, changed };
}

const sorted = (list: Iterable<string>): string[] => [...list].sort();
const gidOf = (value: unknown): string => (value as { gid: string }).gid;

describe("mutations (seed 1, small)", () => {
  let sim: Simulator;
  let before: Record<StreamName, Map<string, string>>;
  let result: MutationResult;
  let startedAt: string;
  const spec = { modifyTasks: 3, createTasks: 2, deleteTasks: 2, addComments: 2, deleteComments: 2, addAttachments: 2, editSubtasks: 2 };

  beforeAll(async () => {
    sim = await startSimulator({ seed: 1, size: "small" });
    before = snapshot(sim);
    startedAt = new Date(sim.now()).toISOString();
    result = sim.mutate(spec);
  });
  afterAll(async () => {
    await sim.close();
  });

  it("reports distinct tasks of each kind, as many as asked", () => {
    expect(result.modifiedTasks).toHaveLength(3);
    expect(result.createdTasks).toHaveLength(2);
    expect(result.deletedTasks).toHaveLength(2);
    expect(result.commentedTasks).toHaveLength(2);
    expect(result.attachedTasks).toHaveLength(2);
    expect(result.deletedStories).toHaveLength(2);
    expect(result.editedSubtasks).toHaveLength(2);
    const all = [...result.modifiedTasks, ...result.createdTasks, ...result.deletedTasks, ...result.commentedTasks, ...result.attachedTasks];
    expect(new Set(all).size).toBe(all.length);
  });

  it("changes the ground truth exactly as reported", () => {
    const after = snapshot(sim);
    // Everything below a deleted task goes with it.
    const deletedSubtasks: string[] = [];
    const deletedStories: string[] = [];
    const deletedAttachments: string[] = [];
    for (const gid of result.deletedTasks) {
      const stack = [gid];
      while (stack.length > 0) {
        const task = stack.pop()!;
        const ordinal = sim.dataset.gids.indexOf(task, KIND.task)!;
        const record = JSON.parse(before.tasks.get(task) ?? before.subtasks.get(task)!) as ApiRecord;
        if (task !== gid) deletedSubtasks.push(task);
        for (const [g, s] of before.stories) if (gidOf((JSON.parse(s) as ApiRecord).target) === task) deletedStories.push(g);
        for (const [g, a] of before.attachments) if (gidOf((JSON.parse(a) as ApiRecord).parent) === task) deletedAttachments.push(g);
        for (const child of sim.dataset.structure.tasks[ordinal]!.children) stack.push(sim.dataset.gids.encode(KIND.task, child));
        expect(record.gid).toBe(task);
      }
    }
    expect(diff(before.tasks, after.tasks)).toEqual({ added: sorted(result.createdTasks), removed: sorted(result.deletedTasks), changed: sorted(result.modifiedTasks) });
    expect(diff(before.subtasks, after.subtasks)).toEqual({ added: [], removed: sorted(deletedSubtasks), changed: sorted(result.editedSubtasks) });
    expect(diff(before.stories, after.stories)).toEqual({ added: sorted(result.newStories), removed: sorted([...deletedStories, ...result.deletedStories]), changed: [] });
    for (const gid of result.deletedStories) expect((JSON.parse(before.stories.get(gid)!) as ApiRecord).resource_subtype, "only comments are deleted").toBe("comment_added");
    expect(diff(before.attachments, after.attachments)).toEqual({ added: sorted(result.newAttachments), removed: sorted(deletedAttachments), changed: [] });
    for (const stream of STREAM_NAMES.filter((s) => !["tasks", "subtasks", "stories", "attachments"].includes(s))) {
      expect(diff(before[stream], after[stream]), stream).toEqual({ added: [], removed: [], changed: [] });
    }
    // Counts follow; new records have every OAS field.
    const counts = sim.dataset.counts();
    for (const stream of STREAM_NAMES) expect(counts[stream], stream).toBe(after[stream].size);
    for (const gid of result.createdTasks) expect(Object.keys(JSON.parse(after.tasks.get(gid)!) as object)).toEqual(Object.keys(RECORD_FIELDS.tasks));
    for (const gid of result.newStories) expect(Object.keys(JSON.parse(after.stories.get(gid)!) as object)).toEqual(Object.keys(RECORD_FIELDS.stories));
  });

  it("dates changes by the simulated clock: later than every generated timestamp; comments, attachments and subtask edits leave the task's modified_at", () => {
    const task = (gid: string): ApiRecord => sim.dataset.fullRecord(gid)!;
    const baseMax = Math.max(...[...before.tasks.values(), ...before.subtasks.values()].map((t) => Date.parse((JSON.parse(t) as ApiRecord).modified_at as string)));
    for (const gid of [...result.modifiedTasks, ...result.createdTasks, ...result.editedSubtasks]) {
      const modified = task(gid).modified_at as string;
      expect(modified >= startedAt, gid).toBe(true);
      expect(Date.parse(modified)).toBeGreaterThan(baseMax);
    }
    for (const gid of result.createdTasks) {
      expect(task(gid).created_at).toBe(task(gid).modified_at);
      expect(task(gid).projects as ApiRecord[]).toHaveLength(1);
      expect(task(gid).num_subtasks).toBe(0);
      expect(sim.dataset.listStories(sim.dataset.gids.indexOf(gid, KIND.task)!)).toEqual([]);
    }
    for (const gid of [...result.commentedTasks, ...result.attachedTasks]) expect(task(gid).modified_at).toBe((JSON.parse(before.tasks.get(gid)!) as ApiRecord).modified_at);
    for (const gid of result.editedSubtasks) {
      const parent = gidOf(task(gid).parent);
      const old = before.tasks.get(parent) ?? before.subtasks.get(parent)!;
      expect(task(parent).modified_at).toBe((JSON.parse(old) as ApiRecord).modified_at);
    }
    for (const gid of result.newStories) {
      const story = sim.dataset.fullRecord(gid)!;
      expect(story.resource_subtype).toBe("comment_added");
      expect(Date.parse(story.created_at as string)).toBeGreaterThan(baseMax);
    }
  });

  it("serves the new state over HTTP: lists, 404 for deleted tasks and their children, modified_since", async () => {
    for (const gid of result.deletedTasks) {
      const ordinal = sim.dataset.gids.indexOf(gid, KIND.task)!;
      const storyGid = sim.dataset.gids.encode(KIND.story, ordinal * 8);
      for (const path of [`/tasks/${gid}`, `/tasks/${gid}/stories`, `/tasks/${gid}/subtasks`, `/attachments?parent=${gid}`]) {
        const res = await get(sim, path);
        expect(res.status, path).toBe(404);
        expect(res.body.errors?.[0]?.message).toMatch(/Not a recognized ID/);
      }
      const wasStory = [...before.stories.keys()].includes(storyGid);
      if (wasStory) expect((await get(sim, `/stories/${storyGid}`)).status).toBe(404);
    }
    for (const gid of result.createdTasks) expect((await get(sim, `/tasks/${gid}`)).status).toBe(200);
    for (const gid of result.deletedStories) expect((await get(sim, `/stories/${gid}`)).status, `deleted comment ${gid}`).toBe(404);

    const changed = new Set([...result.modifiedTasks, ...result.createdTasks]);
    for (const project of sim.dataset.listProjects({})) {
      const all = (await walk(sim, `/tasks?project=${project}`)).items.map((t) => t.gid as string);
      const expected = sim.dataset.listTasks({ project: sim.dataset.find(KIND.project, project)! });
      expect(all).toEqual(expected);
      for (const gid of result.deletedTasks) expect(all).not.toContain(gid);
      const since = (await walk(sim, `/tasks?project=${project}&modified_since=${startedAt}&opt_fields=modified_at`)).items.map((t) => t.gid as string);
      expect(sorted(since), project).toEqual(sorted(all.filter((g) => changed.has(g))));
    }
    for (const gid of result.createdTasks) {
      const record = sim.dataset.fullRecord(gid)!;
      const project = gidOf((record.projects as ApiRecord[])[0]);
      expect((await walk(sim, `/tasks?project=${project}`)).items.map((t) => t.gid)).toContain(gid);
    }
    // completed_since=now: created tasks are incomplete.
    for (const gid of result.createdTasks) {
      const project = gidOf((sim.dataset.fullRecord(gid)!.projects as ApiRecord[])[0]);
      expect((await walk(sim, `/projects/${project}/tasks?completed_since=now`)).items.map((t) => t.gid)).toContain(gid);
    }
    for (const gid of result.commentedTasks) {
      const stories = (await walk(sim, `/tasks/${gid}/stories`)).items.map((s) => s.gid as string);
      expect(stories.filter((s) => result.newStories.includes(s))).toHaveLength(1);
    }
  });

  it("keeps minimalRequests() equal to a real walk of the task streams", async () => {
    sim.resetStats();
    const minimal = sim.dataset.minimalRequests().byStream;
    let tasksPages = 0;
    let subtaskPages = 0;
    let storyPages = 0;
    let attachmentPages = 0;
    const everyTask: ApiRecord[] = [];
    for (const project of sim.dataset.listProjects({})) {
      const { items, pages } = await walk(sim, `/tasks?project=${project}&opt_fields=num_subtasks`);
      tasksPages += pages;
      everyTask.push(...items);
      attachmentPages += (await walk(sim, `/attachments?parent=${project}`)).pages;
    }
    const seen = new Set<string>();
    for (let i = 0; i < everyTask.length && i < 10_000; i++) {
      const t = everyTask[i]!;
      if (seen.has(t.gid as string)) continue;
      seen.add(t.gid as string);
      if ((t.num_subtasks as number) > 0) {
        const { items, pages } = await walk(sim, `/tasks/${t.gid}/subtasks?opt_fields=num_subtasks`);
        subtaskPages += pages;
        everyTask.push(...items);
      }
      storyPages += (await walk(sim, `/tasks/${t.gid}/stories`)).pages;
      attachmentPages += (await walk(sim, `/attachments?parent=${t.gid}`)).pages;
    }
    expect({ tasks: tasksPages, subtasks: subtaskPages, stories: storyPages, attachments: attachmentPages }).toEqual({
      tasks: minimal.tasks,
      subtasks: minimal.subtasks,
      stories: minimal.stories,
      attachments: minimal.attachments,
    });
    expect(seen.size).toBe(sim.dataset.counts().tasks + sim.dataset.counts().subtasks);
  });

  it("is deterministic for a seed, and POST /_sim/mutate does the same over HTTP", async () => {
    const a = await startSimulator({ seed: 1, size: "small" });
    const b = await startSimulator({ seed: 1, size: "small" });
    try {
      const viaApi = a.mutate({ ...spec, seed: 42 });
      const res = await fetch(`${b.origin}/_sim/mutate`, { method: "POST", body: JSON.stringify({ ...spec, seed: 42 }) });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(viaApi);
      // Successive calls without a seed pick other tasks.
      const next = a.mutate({ modifyTasks: 3 });
      expect(next.modifiedTasks).not.toEqual(viaApi.modifiedTasks);
      const bad = await fetch(`${b.origin}/_sim/mutate`, { method: "POST", body: JSON.stringify({ modifyTasks: -1 }) });
      expect(bad.status).toBe(400);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("events API", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 1, size: "medium" });
  });
  afterAll(async () => {
    await sim.close();
  });

  const events = (resource: string, sync?: string): Promise<{ status: number; body: Body }> =>
    get(sim, `/events?resource=${resource}${sync === undefined ? "" : `&sync=${encodeURIComponent(sync)}`}`);

  /** Reads every event after `sync` (following has_more; at most 50 calls). */
  async function drain(resource: string, sync: string): Promise<{ data: AsanaEvent[]; sync: string; calls: number; hasMore: boolean[] }> {
    const data: AsanaEvent[] = [];
    const hasMore: boolean[] = [];
    let token = sync;
    let calls = 0;
    for (let more = true; more && calls < 50; calls++) {
      const res = await events(resource, token);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(["data", "has_more", "sync"]);
      const page = res.body.data as AsanaEvent[];
      expect(page.length).toBeLessThanOrEqual(100);
      data.push(...page);
      more = res.body.has_more === true;
      hasMore.push(more);
      token = res.body.sync!;
    }
    return { data, sync: token, calls, hasMore };
  }

  it("answers 412 with a fresh sync token without a token or with an invalid one; 400/404 for a missing/unknown resource", async () => {
    const project = sim.dataset.sampleGids("project", 1)[0]!;
    const other = sim.dataset.sampleGids("project", 2)[1]!;
    const first = await events(project);
    expect(first.status).toBe(412);
    expect(first.body).toEqual({ errors: [{ message: SYNC_INVALID_MESSAGE }], sync: expect.stringMatching(/^[A-Za-z0-9_-]+$/) });
    const otherToken = (await events(other)).body.sync!;
    for (const bad of ["garbage", "AAAA", otherToken]) {
      const res = await events(project, bad);
      expect(res.status, bad).toBe(412);
      expect(res.body.sync).toBeTruthy();
    }
    const ok = await events(project, first.body.sync);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ data: [], sync: expect.any(String), has_more: false });
    expect((await get(sim, "/events")).status).toBe(400);
    expect((await get(sim, `/events?resource=${sim.dataset.listWorkspaces()[0]}`)).status).toBe(404);
  });

  it("records each kind of change with Asana's event shape, on the task's projects and on the task", async () => {
    const projectOf = (gid: string): string[] => (sim.dataset.fullRecord(gid)!.projects as ApiRecord[]).map(gidOf);
    // Tokens for every project, before the change.
    const tokens = new Map<string, string>();
    for (const p of sim.dataset.listProjects({})) tokens.set(p, (await events(p)).body.sync!);
    const r = sim.mutate({ modifyTasks: 1, createTasks: 1, deleteTasks: 1, addComments: 1, addAttachments: 1, editSubtasks: 1, seed: 5 });
    const deletedOrdinal = sim.dataset.gids.indexOf(r.deletedTasks[0]!, KIND.task)!;
    const deletedProjects = sim.dataset.structure.tasks[deletedOrdinal]!.projects.map((p) => sim.dataset.gids.encode(KIND.project, p));
    const me = { gid: sim.dataset.gids.encode(KIND.user, 0), resource_type: "user" };
    const at = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/);
    const subtype = expect.stringMatching(/^(default_task|milestone|approval)$/);
    const modified = r.modifiedTasks[0]!;
    const created = r.createdTasks[0]!;
    const commented = r.commentedTasks[0]!;
    const attached = r.attachedTasks[0]!;
    const subtask = r.editedSubtasks[0]!;
    let root = subtask;
    for (let i = 0; i < 5 && sim.dataset.fullRecord(root)!.parent !== null; i++) root = gidOf(sim.dataset.fullRecord(root)!.parent);
    const expectations: [string[], AsanaEvent][] = [
      [projectOf(modified), { user: me, created_at: at, type: "task", action: "changed", resource: { gid: modified, resource_type: "task", resource_subtype: subtype }, parent: null, change: { field: "notes", action: "changed" } } as AsanaEvent],
      [projectOf(created), { user: me, created_at: at, type: "task", action: "added", resource: { gid: created, resource_type: "task", resource_subtype: subtype }, parent: { gid: projectOf(created)[0]!, resource_type: "project" } } as AsanaEvent],
      [projectOf(commented), { user: me, created_at: at, type: "story", action: "added", resource: { gid: r.newStories[0]!, resource_type: "story", resource_subtype: "comment_added" }, parent: { gid: commented, resource_type: "task" } } as AsanaEvent],
      [projectOf(attached), { user: me, created_at: at, type: "attachment", action: "added", resource: { gid: r.newAttachments[0]!, resource_type: "attachment" }, parent: { gid: attached, resource_type: "task" } } as AsanaEvent],
      [projectOf(root), { user: me, created_at: at, type: "task", action: "changed", resource: { gid: subtask, resource_type: "task", resource_subtype: subtype }, parent: null, change: { field: "notes", action: "changed" } } as AsanaEvent],
    ];
    const seen = new Map<string, AsanaEvent[]>();
    for (const [p, token] of tokens) seen.set(p, (await drain(p, token)).data);
    for (const [projects, event] of expectations) {
      for (const p of projects) expect(seen.get(p), `${event.type} ${event.action} on ${p}`).toContainEqual(event);
    }
    // The deleted task's event is on its projects and on the task itself.
    const deletion: AsanaEvent = { user: me, created_at: at, type: "task", action: "deleted", resource: { gid: r.deletedTasks[0]!, resource_type: "task", resource_subtype: subtype }, parent: null } as AsanaEvent;
    expect(sim.eventsFor(r.deletedTasks[0]!)).toEqual([deletion]);
    for (const p of deletedProjects) expect(seen.get(p)).toContainEqual(deletion);
    expect([...seen.values()].flat().filter((e) => e.action === "deleted")).toHaveLength(deletedProjects.length);
    // Task resources: the task's own events, and a subtask edit bubbles up to its ancestors.
    const taskToken = (await events(commented)).body.sync!;
    expect((await events(subtask)).status).toBe(412);
    expect(sim.eventsFor(root).some((e) => e.resource.gid === subtask)).toBe(true);
    expect(sim.eventsFor(commented).map((e) => e.type)).toEqual(["story"]);
    sim.mutate({ addComments: 0, modifyTasks: 0 });
    expect((await events(commented, taskToken)).body.data).toEqual([]);
    // A deleted task's event stream stays readable.
    expect((await events(r.deletedTasks[0]!)).status).toBe(412);
  });

  it("pages 100 events at a time, oldest first, with has_more, then continues from the last sync", async () => {
    const big = sim.dataset.structure.projects.find((p) => p.tasks.length > 250)!;
    const project = sim.dataset.gids.encode(KIND.project, big.index);
    const token = (await events(project)).body.sync!;
    sim.advanceClock(1000);
    const r1 = sim.mutate({ modifyTasks: 600, seed: 11 });
    sim.advanceClock(1000);
    const r2 = sim.mutate({ addComments: 300, seed: 12 });
    const inProject = (gid: string): boolean => big.tasks.includes(sim.dataset.gids.indexOf(gid, KIND.task)!);
    const expected = r1.modifiedTasks.filter(inProject).length + r2.commentedTasks.filter(inProject).length;
    expect(expected).toBeGreaterThan(200);
    const { data, sync, calls, hasMore } = await drain(project, token);
    expect(data).toHaveLength(expected);
    expect(calls).toBe(Math.ceil(expected / 100));
    expect(hasMore.slice(0, -1).every(Boolean)).toBe(true);
    expect(hasMore[hasMore.length - 1]).toBe(false);
    const times = data.map((e) => e.created_at);
    expect([...times].sort()).toEqual(times);
    expect(data).toEqual(sim.eventsFor(project).slice(-expected));
    // Nothing new: an empty page; re-using the same token is safe.
    expect((await events(project, sync)).body).toMatchObject({ data: [], has_more: false });
    expect((await events(project, sync)).status).toBe(200);
    const r3 = sim.mutate({ modifyTasks: 400, seed: 13 });
    const more = await drain(project, sync);
    expect(more.data.map((e) => e.resource.gid).sort()).toEqual(r3.modifiedTasks.filter(inProject).sort());
    expect(sim.stats().byRoute["GET /events"]).toBeGreaterThan(0);
  });

  it("expires sync tokens 24 h after issue on the simulated clock: 412 with a fresh token that works", async () => {
    const project = sim.dataset.sampleGids("project", 1)[0]!;
    const token = (await events(project)).body.sync!;
    sim.advanceClock(23 * 3600 * 1000);
    const stillValid = await events(project, token);
    expect(stillValid.status).toBe(200);
    sim.advanceClock(2 * 3600 * 1000);
    expect((await events(project, stillValid.body.sync!)).status).toBe(200);
    const expired = await events(project, token);
    expect(expired.status).toBe(412);
    expect(expired.body.errors?.[0]?.message).toBe(SYNC_INVALID_MESSAGE);
    const r = sim.mutate({ modifyTasks: 200, seed: 21 });
    const fresh = await drain(project, expired.body.sync!);
    const index = sim.dataset.find(KIND.project, project)!;
    const expected = r.modifiedTasks.filter((g) => sim.dataset.structure.projects[index]!.tasks.includes(sim.dataset.gids.indexOf(g, KIND.task)!));
    expect(fresh.data.map((e) => e.resource.gid).sort()).toEqual(expected.sort());
    // Clock control over HTTP.
    const before = sim.now();
    const res = await fetch(`${sim.origin}/_sim/clock`, { method: "POST", body: JSON.stringify({ advanceMs: 60_000 }) });
    const clock = (await res.json()) as { now: number };
    expect(clock.now).toBeGreaterThanOrEqual(before + 60_000);
    expect(() => sim.advanceClock(-1)).toThrow(RangeError);
  });
});
