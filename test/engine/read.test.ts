/**
 * The read loop in process (no server, no child process): de-duplication, fan-out and record
 * filters, the repeated-token guard, reset-once after an expired offset, skipped partitions,
 * checkpoint ordering (no STATE vouches for a record not yet emitted) and a failed stream's state.
 */
import { describe, expect, it } from "vitest";
import type { FakeRequest } from "../helpers/engine.js";
import { type EngineRun, page, runEngine } from "../helpers/engine.js";
import { FEED_MANIFEST, MANIFEST, type World, api, world } from "./fixtures.js";

const ids = (records: Array<Record<string, unknown>>): string[] => records.map((r) => String(r.id)).sort();
const ALL = ["folders", "items", "pinned", "notes", "tags"];

describe("a full read", () => {
  it("emits every record once, reads every partition once, and asks nothing for filtered parents", async () => {
    const w = world();
    const { emitter, http, result } = await runEngine(MANIFEST, api(w), { selected: ALL });
    expect(result.failures).toEqual([]);
    expect(ids(emitter.records("folders"))).toEqual(["f1", "f2", "f3"]);
    expect(ids(emitter.records("items")), "i3 sits in two folders, emitted once").toEqual(["i1", "i2", "i3", "i4"]);
    expect(ids(emitter.records("notes"))).toEqual(["n1", "n3a", "n3b", "n4"]);
    expect(ids(emitter.records("tags"))).toEqual(["t1", "t3", "t4", "t9"]);
    expect(http.count("/items/i3/notes"), "i3's notes read once").toBe(1);
    expect(http.count("/items/i1/tags"), "reached from items and from pinned, read once").toBe(1);
    expect(http.count("/items/i2/tags"), "the record filter keeps i2 out").toBe(0);
    expect(http.count("/folders"), "two pages of folders, each read once for all children").toBe(2);
    for (const stream of ALL) expect(emitter.statuses(stream)).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
  });

  it("reads an unselected parent once, without emitting it", async () => {
    const { emitter, http } = await runEngine(MANIFEST, api(world()), { selected: ["notes", "tags"] });
    expect(emitter.records("items")).toEqual([]);
    expect(emitter.records("folders")).toEqual([]);
    expect(http.count("/folders/f1/items")).toBe(2);
    expect(ids(emitter.records("tags"))).toEqual(["t1", "t3", "t4", "t9"]);
  });

  it("skips a partition the error handler ignores, with a warning, and reads the rest", async () => {
    const forbidden = (r: FakeRequest) => (r.path === "/folders/f2/items" ? { status: 403, body: { errors: [{ message: "Forbidden" }] } } : undefined);
    const { emitter, result } = await runEngine(MANIFEST, api(world(), forbidden), { selected: ["items"] });
    expect(result.failures).toEqual([]);
    expect(ids(emitter.records("items"))).toEqual(["i1", "i2", "i3"]);
    expect(emitter.logs("WARN").join("\n")).toMatch(/Skipped items \(folder_id=f2\): No access/);
  });
});

describe("skipped partitions", () => {
  const forbidden = { status: 403, body: { errors: [{ message: "Forbidden" }] } };

  it("a stream every other stream reads from that answers 403 or 404 fails the sync as a config_error: no empty success", async () => {
    for (const status of [403, 404]) {
      const root = (r: FakeRequest) => (r.path === "/folders" ? { status, body: { errors: [{ message: "No" }] } } : undefined);
      const { emitter, result } = await runEngine(MANIFEST, api(world(), root), { selected: ["folders", "items", "notes"] });
      expect(result.failures.map((f) => [f.stream, f.error.failureType])).toEqual([["folders", "config_error"]]);
      expect(result.failures[0]!.error.message).toMatch(/Could not read folders, which every other stream reads from .*nothing would sync\. Check the config's base_url/);
      for (const stream of ["folders", "items", "notes"]) expect(emitter.statuses(stream).at(-1), stream).toBe("INCOMPLETE");
    }
  });

  it("a stream whose every partition is skipped says so in one line with the count and the reason", async () => {
    const noItems = (r: FakeRequest) => (r.path.endsWith("/items") ? forbidden : undefined);
    const { emitter, result } = await runEngine(MANIFEST, api(world(), noItems), { selected: ["items"] });
    expect(result.failures).toEqual([]);
    expect(emitter.logs("WARN").filter((w) => w.startsWith("Skipped every partition"))).toEqual([
      "Skipped every partition of items (3), so it has no records: No access (HTTP 403: Forbidden) (3 times)",
    ]);
  });

  it("logs the first five skips one by one, then sums up the rest by reason", async () => {
    const w = world();
    w.folders = Array.from({ length: 12 }, (_, i) => ({ id: `g${i}` }));
    const someForbidden = (r: FakeRequest) => (/^\/folders\/g([0-9]|10)\/items$/.test(r.path) ? forbidden : undefined);
    const { emitter } = await runEngine(MANIFEST, api(w, someForbidden), { selected: ["items"] });
    const warnings = emitter.logs("WARN");
    expect(warnings.filter((m) => m.startsWith("Skipped items ("))).toHaveLength(5);
    expect(warnings.filter((m) => m.startsWith("Skipped 11 of 12 partitions of items: No access (HTTP 403: Forbidden) (11 times)"))).toHaveLength(1);
  });
});

describe("pagination guards", () => {
  it("fails a partition whose next-page token repeats instead of looping", async () => {
    const loop = (r: FakeRequest) => (r.path === "/folders/f1/items" ? page([{ id: "i1", updated: "2024-01-01T00:00:00Z" }], "same") : undefined);
    const { emitter, http, result } = await runEngine(MANIFEST, api(world(), loop), { selected: ["folders", "items"] });
    expect(http.count("/folders/f1/items")).toBe(2);
    expect(result.failures.map((f) => [f.stream, f.error.failureType])).toEqual([["items", "system_error"]]);
    expect(result.failures[0]!.error.message).toMatch(/same next-page token twice for items \(folder_id=f1\)/);
    expect(emitter.statuses("items").at(-1)).toBe("INCOMPLETE");
    expect(emitter.statuses("folders").at(-1), "other streams are not affected").toBe("COMPLETE");
  });

  it("restarts a partition from its first page once when its offset expires, emitting nothing twice", async () => {
    let expired = 0;
    const expireOnce = (r: FakeRequest) => {
      if (r.path !== "/folders/f1/items" || r.query.get("offset") === null || expired > 0) return undefined;
      expired++;
      return { status: 400, body: { errors: [{ message: "offset: Your pagination token has expired." }] } };
    };
    const { emitter, http, result } = await runEngine(MANIFEST, api(world(), expireOnce), { selected: ["items"] });
    expect(result.failures).toEqual([]);
    expect(http.count("/folders/f1/items"), "page 1, expired page 2, page 1 again, page 2").toBe(4);
    const items = emitter.records("items").map((r) => String(r.id));
    expect(items.sort()).toEqual(["i1", "i2", "i3", "i4"]);
    expect(emitter.logs("WARN").join("\n")).toMatch(/Restarting items \(folder_id=f1\) from its first page/);
  });

  it("fails the partition when the offset expires again after the restart", async () => {
    const alwaysExpired = (r: FakeRequest) =>
      r.path === "/folders/f1/items" && r.query.get("offset") !== null ? { status: 400, body: { errors: [{ message: "token has expired" }] } } : undefined;
    const { http, result } = await runEngine(MANIFEST, api(world(), alwaysExpired), { selected: ["items"] });
    expect(http.count("/folders/f1/items")).toBe(4);
    expect(result.failures.map((f) => f.error.message)).toEqual([expect.stringMatching(/failed twice in a row/)]);
  });
});

// ---- incremental reads and checkpoints ---------------------------------------------------------

type Blob = Record<string, unknown>;
interface PartitionState {
  partition: { folder_id?: string };
  cursor: { updated?: string };
}

/** The `updated` position per folder that an items state (or a notes parent_state) vouches for. */
function itemPositions(blob: Blob | undefined): Map<string, string> {
  const states = (blob?.states as PartitionState[] | undefined) ?? [];
  return new Map(states.flatMap((s) => (s.partition.folder_id && s.cursor.updated ? [[s.partition.folder_id, s.cursor.updated] as const] : [])));
}

/**
 * Every STATE is a safe resume point: each folder position it holds covers only items (and, for
 * notes, notes of items) that were emitted before it.
 */
function checkResumePoints(run: EngineRun, w: World): number {
  const emitted = new Set<string>();
  let checked = 0;
  for (const m of run.emitter.messages) {
    if (m.type === "record") emitted.add(`${m.stream}:${String(m.data.id)}`);
    if (m.type !== "state") continue;
    const positions = m.stream === "items" ? itemPositions(m.state) : itemPositions((m.state.parent_state as Blob | undefined)?.items as Blob | undefined);
    for (const [folder, position] of positions) {
      for (const item of w.items[folder] ?? []) {
        if (item.updated > position) continue;
        checked++;
        if (m.stream === "items") expect(emitted.has(`items:${item.id}`), `items STATE at ${position} for ${folder} before item ${item.id}`).toBe(true);
        else for (const note of w.notes[item.id] ?? []) expect(emitted.has(`notes:${note.id}`), `notes STATE before note ${note.id}`).toBe(true);
      }
    }
  }
  return checked;
}

describe("incremental reads", () => {
  it("checkpoints only what is emitted, per partition and through parent_state", async () => {
    const w = world();
    const run = await runEngine(MANIFEST, api(w), { selected: ["items", "notes"], incremental: ["items", "notes"], concurrency: 1 });
    expect(run.result.failures).toEqual([]);
    expect(checkResumePoints(run, w)).toBeGreaterThan(0);
    const last = run.emitter.states("items").at(-1)!;
    const positions = { f1: "2024-03-01T00:00:00Z", f2: "2024-04-01T00:00:00Z", f3: "2020-01-01T00:00:00Z" };
    expect(Object.fromEntries(itemPositions(last)), "an empty partition settles at its start").toEqual(positions);
    const notesState = run.emitter.states("notes").at(-1)!;
    expect(notesState.updated).toBe("2024-04-02T00:00:00Z");
    expect(Object.fromEntries(itemPositions((notesState.parent_state as Blob).items as Blob))).toEqual(positions);
  });

  it("continues from its state: only changed items, and only their notes", async () => {
    const w = world();
    const first = await runEngine(MANIFEST, api(w), { selected: ["items", "notes"], incremental: ["items", "notes"] });
    w.items.f2!.push({ id: "i5", updated: "2024-05-01T00:00:00Z" });
    w.notes.i5 = [{ id: "n5", updated: "2024-05-02T00:00:00Z" }];
    const states = { items: first.emitter.states("items").at(-1)!, notes: first.emitter.states("notes").at(-1)! };
    const second = await runEngine(MANIFEST, api(w), { selected: ["items", "notes"], incremental: ["items", "notes"], states });
    expect(second.result.failures).toEqual([]);
    // Each listing starts at its saved position, which includes the item that set it (no
    // cursor_granularity): i3 and i4 come again, with their notes.
    expect(second.http.requests.filter((r) => r.path === "/folders/f2/items").map((r) => r.query.get("updated_since"))).toEqual(["2024-04-01T00:00:00Z"]);
    expect(ids(second.emitter.records("items"))).toEqual(["i3", "i4", "i5"]);
    expect(second.http.count("/items/i1/notes") + second.http.count("/items/i2/notes"), "unchanged items fan out nothing").toBe(0);
    expect(ids(second.emitter.records("notes"))).toEqual(["n3a", "n3b", "n4", "n5"]);
  });

  it("a failed stream sends no more state, and its parents' positions stay behind what it did not read", async () => {
    const w = world();
    const broken = (r: FakeRequest) => (r.path === "/items/i3/notes" ? { status: 500, body: { errors: [{ message: "boom" }] } } : undefined);
    const run = await runEngine(MANIFEST, api(w, broken), { selected: ["items", "notes"], incremental: ["items", "notes"], concurrency: 1 });
    expect(run.result.failures.map((f) => [f.stream, f.error.failureType])).toEqual([["notes", "transient_error"]]);
    expect(run.http.count("/items/i3/notes"), "the first try and max_retries 2").toBe(3);
    const failedAt = run.emitter.messages.findIndex((m) => m.type === "log" && m.level === "ERROR");
    expect(failedAt).toBeGreaterThan(0);
    expect(run.emitter.messages.slice(failedAt).filter((m) => m.type === "state" && m.stream === "notes")).toEqual([]);
    // i3 lies in f1 and f2 and its notes were not read: no state may vouch for both folders past
    // it (a resumed sync re-reads i3, and so its notes, through the folder held back).
    let checked = 0;
    for (const state of [...run.emitter.states("items"), ...run.emitter.states("notes")]) {
      const positions = itemPositions(state.states ? state : ((state.parent_state as Blob | undefined)?.items as Blob | undefined));
      const past = ["f1", "f2"].filter((folder) => (positions.get(folder) ?? "") >= "2024-03-01T00:00:00Z");
      expect(past.length, JSON.stringify(state)).toBeLessThan(2);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    expect(run.emitter.statuses("notes").at(-1)).toBe("INCOMPLETE");
  });
});

describe("the change feed", () => {
  it("turns deletions into tombstones keyed by the manifest's primary key, and re-reads what the cursor misses", async () => {
    const w = world();
    const selected = ["items", "notes"];
    const first = await runEngine(FEED_MANIFEST, api(w), { selected, incremental: selected });
    expect(first.result.failures).toEqual([]);
    expect(first.http.count("/events"), "one feed read per folder").toBe(3);
    // Changes: i4 deleted (f2), n3a deleted (f1), a note added to i1 without moving i1's cursor.
    w.items.f2 = w.items.f2!.filter((i) => i.id !== "i4");
    w.notes.i3 = w.notes.i3!.filter((n) => n.id !== "n3a");
    w.notes.i1!.push({ id: "n1b", updated: "2024-06-01T00:00:00Z" });
    w.events.f2!.push({ kind: "item", action: "deleted", id: "i4", at: "2024-06-02T00:00:00Z" });
    w.events.f1!.push({ kind: "note", action: "deleted", id: "n3a", item: "i3", at: "2024-06-03T00:00:00Z" });
    w.events.f1!.push({ kind: "note", action: "added", id: "n1b", item: "i1", at: "2024-06-01T00:00:00Z" });
    const states = { items: first.emitter.states("items").at(-1)!, notes: first.emitter.states("notes").at(-1)! };
    const second = await runEngine(FEED_MANIFEST, api(w), { selected, incremental: selected, states });
    expect(second.result.failures).toEqual([]);
    expect(second.http.requests.filter((r) => r.path === "/events").map((r) => r.query.get("sync")).sort(), "the saved tokens").toEqual(["tok0", "tok0", "tok0"]);
    expect(second.emitter.records("items").filter((r) => r._ab_cdc_deleted_at)).toEqual([{ id: "i4", _ab_cdc_deleted_at: "2024-06-02T00:00:00Z" }]);
    expect(second.emitter.records("notes").filter((r) => r._ab_cdc_deleted_at)).toEqual([{ id: "n3a", _ab_cdc_deleted_at: "2024-06-03T00:00:00Z" }]);
    expect(second.http.count("/items/i1/notes"), "i1 did not change, its new note did").toBe(1);
    expect(ids(second.emitter.records("notes").filter((r) => !r._ab_cdc_deleted_at))).toEqual(expect.arrayContaining(["n1", "n1b"]));
    // The new tokens are kept for the next sync.
    const tokens = JSON.stringify(second.emitter.states("items").at(-1));
    expect(tokens).toContain('"sync":"tok2"');
    expect(tokens).toContain('"sync":"tok1"');
  });
});

describe("resumable full refresh", () => {
  const selected = ["items", "notes", "tags"];

  /** The last state of each stream among the first `upTo` messages (what a destination committed). */
  function statesAt(run: EngineRun, upTo: number): Record<string, Blob> {
    const out: Record<string, Blob> = {};
    for (const m of run.emitter.messages.slice(0, upTo)) if (m.type === "state") out[m.stream] = m.state;
    return out;
  }

  it("checkpoints complete partitions; a resumed sync emits none of them again and loses nothing", async () => {
    const w = world();
    const first = await runEngine(MANIFEST, api(w), { selected, concurrency: 1 });
    const itemStates = first.emitter.messages.map((m, i) => [m, i] as const).filter(([m]) => m.type === "state" && m.stream === "items");
    // Checkpoints list the items emitted in open folders, then complete folders; the last says
    // "no position" again.
    expect(itemStates[0]![0]).toMatchObject({ state: { states: [], emitted_keys: { i1: "2024-01-01T00:00:00Z" } } });
    const firstComplete = itemStates.find(([m]) => m.type === "state" && JSON.stringify(m.state).includes("__ab_full_refresh_sync_complete"));
    expect(firstComplete, "a checkpoint listing a complete folder").toBeDefined();
    expect(firstComplete![0]).toMatchObject({ state: { states: expect.arrayContaining([expect.objectContaining({ cursor: { __ab_full_refresh_sync_complete: true } })]) } });
    expect(itemStates.at(-1)![0]).toMatchObject({ state: { __ab_no_cursor_state_message: true } });
    for (const [, cut] of itemStates.slice(0, -1)) {
      const states = statesAt(first, cut + 1);
      const entries = (states.items!.states as Array<{ partition: { folder_id: string }; cursor: Blob }>) ?? [];
      const done = entries.filter((s) => s.cursor.__ab_full_refresh_sync_complete).map((s) => s.partition.folder_id);
      const second = await runEngine(MANIFEST, api(w), { selected, states, concurrency: 1 });
      expect(second.result.failures).toEqual([]);
      for (const stream of selected) {
        const before = first.emitter.messages.slice(0, cut + 1).flatMap((m) => (m.type === "record" && m.stream === stream ? [String(m.data.id)] : []));
        const after = second.emitter.records(stream).map((r) => String(r.id));
        expect([...new Set([...before, ...after])].sort(), `${stream}: nothing lost`).toEqual(ids(first.emitter.records(stream)));
      }
      // Items of complete folders are not emitted again (unless they also sit in another folder).
      const elsewhere = new Set(Object.entries(w.items).filter(([f]) => !done.includes(f)).flatMap(([, items]) => items.map((i) => i.id)));
      for (const folder of done) {
        for (const item of w.items[folder] ?? []) if (!elsewhere.has(item.id)) expect(ids(second.emitter.records("items")), `${item.id} of ${folder}`).not.toContain(item.id);
      }
      expect(second.emitter.states("items").at(-1), "a finished stream leaves no resumable position").toEqual({ __ab_no_cursor_state_message: true });
    }
  });

  it("a partition with children resumes after its last page whose children were all emitted, and loses none of them", async () => {
    const w = world();
    w.items.f1 = Array.from({ length: 5 }, (_, i) => ({ id: `j${i}`, updated: "2024-01-01T00:00:00Z" }));
    for (const item of w.items.f1) w.tags[item.id] = [{ id: `t-${item.id}` }];
    const first = await runEngine(MANIFEST, api(w), { selected, concurrency: 1 });
    const cut = first.emitter.messages.findIndex((m) => m.type === "state" && m.stream === "items" && JSON.stringify(m.state).includes('"next_page_token":"/folders/f1/items@4"'));
    expect(cut, "a checkpoint after f1's second page and its children").toBeGreaterThan(0);
    // Every descendant's state went out before it: what they emitted is committed.
    const states = statesAt(first, cut + 1);
    const second = await runEngine(MANIFEST, api(w), { selected, states, concurrency: 1 });
    expect(second.result.failures).toEqual([]);
    expect(second.http.requests.filter((r) => r.path === "/folders/f1/items").map((r) => r.query.get("offset"))).toEqual(["/folders/f1/items@4"]);
    for (const stream of selected) {
      const before = first.emitter.messages.slice(0, cut + 1).flatMap((m) => (m.type === "record" && m.stream === stream ? [String(m.data.id)] : []));
      const after = ids(second.emitter.records(stream));
      expect([...new Set([...before, ...after])].sort(), `${stream}: nothing lost`).toEqual(ids(first.emitter.records(stream)));
      expect(after.filter((id) => before.includes(id)), `${stream}: nothing emitted twice`).toEqual([]);
    }
    // Two runs in a row: the finished sync's states leave no position, so the next one reads all.
    const last = Object.fromEntries(selected.map((stream) => [stream, second.emitter.states(stream).at(-1)!]));
    const third = await runEngine(MANIFEST, api(w), { selected, states: last, concurrency: 1 });
    for (const stream of selected) expect(ids(third.emitter.records(stream)), stream).toEqual(ids(first.emitter.records(stream)));
  });

  it("a failed partition, and every partition it was read for, is never listed complete", async () => {
    const broken = (r: FakeRequest) => (r.path === "/items/i3/notes" ? { status: 500, body: { errors: [{ message: "boom" }] } } : undefined);
    const run = await runEngine(MANIFEST, api(world(), broken), { selected, concurrency: 1 });
    expect(run.result.failures.map((f) => f.stream)).toEqual(["notes"]);
    const listed = (stream: string, field: string) =>
      run.emitter.states(stream).flatMap((s) => ((s.states as Array<{ partition: Record<string, string> }>) ?? []).map((e) => e.partition[field]));
    expect(listed("notes", "item_id")).not.toContain("i3");
    // i3 was listed under f1 and f2; the folder its notes were read for is never complete.
    const folders = new Set(listed("items", "folder_id"));
    expect(folders.has("f1") && folders.has("f2"), [...folders].join()).toBe(false);
  });

  it("a leaf stream continues a part-read partition from the page after the last one it emitted", async () => {
    const w = world();
    w.tags.i1 = Array.from({ length: 7 }, (_, i) => ({ id: `t1-${i}` }));
    const first = await runEngine(MANIFEST, api(w), { selected: ["tags"], concurrency: 1 });
    const cut = first.emitter.messages.findIndex((m) => m.type === "state" && JSON.stringify(m.state).includes('"next_page_token":"/items/i1/tags@4"'));
    expect(cut, "a checkpoint after the second page of i1's tags").toBeGreaterThan(0);
    const second = await runEngine(MANIFEST, api(w), { selected: ["tags"], states: statesAt(first, cut + 1), concurrency: 1 });
    expect(second.http.requests.filter((r) => r.path === "/items/i1/tags").map((r) => r.query.get("offset"))).toEqual(["/items/i1/tags@4", "/items/i1/tags@6"]);
    const emittedBefore = first.emitter.messages.slice(0, cut + 1).flatMap((m) => (m.type === "record" ? [String(m.data.id)] : []));
    const again = second.emitter.records("tags").map((r) => String(r.id)).filter((id) => emittedBefore.includes(id));
    expect(again, "nothing emitted before the checkpoint is emitted again").toEqual([]);
    expect([...new Set([...emittedBefore, ...ids(second.emitter.records("tags"))])].sort()).toEqual(ids(first.emitter.records("tags")));
  });

  it("a leaf stream does not even request the partitions it completed; the next scheduled sync reads everything again", async () => {
    const w = world();
    const first = await runEngine(MANIFEST, api(w), { selected: ["tags"], concurrency: 1 });
    const tagStates = first.emitter.messages.map((m, i) => [m, i] as const).filter(([m]) => m.type === "state" && m.stream === "tags");
    const [, cut] = tagStates[0]!;
    const second = await runEngine(MANIFEST, api(w), { selected: ["tags"], states: statesAt(first, cut + 1), concurrency: 1 });
    const done = ((statesAt(first, cut + 1).tags!.states as Array<{ partition: { item_id: string } }>) ?? []).map((s) => s.partition.item_id);
    expect(done.length).toBeGreaterThan(0);
    for (const item of done) expect(second.http.count(`/items/${item}/tags`), item).toBe(0);
    // Meltano hands the last state to the next run: after a finished sync, that reads in full.
    const third = await runEngine(MANIFEST, api(w), { selected: ["tags"], states: { tags: second.emitter.states("tags").at(-1)! } });
    expect(ids(third.emitter.records("tags"))).toEqual(ids(first.emitter.records("tags")));
  });
});

describe("resuming incremental children", () => {
  const selected = ["items", "notes"];
  const lastStates = (run: EngineRun, upTo: number): Record<string, Blob> => {
    const out: Record<string, Blob> = {};
    for (const m of run.emitter.messages.slice(0, upTo)) if (m.type === "state") out[m.stream] = m.state;
    return out;
  };

  it("a sync cut after any STATE resumes without loss, reads no completed child partition again and re-emits no parent record it listed", async () => {
    const w = world();
    const first = await runEngine(MANIFEST, api(w), { selected, incremental: selected, concurrency: 1 });
    const cuts = first.emitter.messages.flatMap((m, i) => (m.type === "state" ? [i] : []));
    let listed = 0;
    for (const cut of cuts) {
      const states = lastStates(first, cut + 1);
      const second = await runEngine(MANIFEST, api(w), { selected, incremental: selected, states, concurrency: 1 });
      expect(second.result.failures).toEqual([]);
      for (const stream of selected) {
        const before = first.emitter.messages.slice(0, cut + 1).flatMap((m) => (m.type === "record" && m.stream === stream ? [String(m.data.id)] : []));
        expect([...new Set([...before, ...ids(second.emitter.records(stream))])].sort(), `${stream}: nothing lost (cut ${cut})`).toEqual(ids(first.emitter.records(stream)));
      }
      const completed = ((states.notes?.completed_partitions as Array<{ item_id: string }>) ?? []).map((e) => e.item_id);
      for (const item of completed) expect(second.http.count(`/items/${item}/notes`), `${item}'s notes, complete before the cut`).toBe(0);
      const emitted = Object.keys((states.items?.emitted_keys as Blob | undefined) ?? {});
      for (const item of emitted) expect(ids(second.emitter.records("items")), `${item} listed as emitted`).not.toContain(item);
      listed += completed.length + emitted.length;
      // A finished stream's state lists nothing: the next sync reads what changed in full.
      expect(Object.keys(second.emitter.states("notes").at(-1)!).sort()).toEqual(["parent_state", "updated"]);
      expect(second.emitter.states("items").at(-1)!.emitted_keys).toBeUndefined();
    }
    expect(listed, "cuts with listed partitions and keys").toBeGreaterThan(0);
  });

  it("a listed parent record whose cursor moved since is emitted again (it changed)", async () => {
    const w = world();
    const first = await runEngine(MANIFEST, api(w), { selected, incremental: selected, concurrency: 1 });
    const cut = first.emitter.messages.findIndex((m) => m.type === "state" && m.stream === "items" && JSON.stringify(m.state).includes('"emitted_keys":{"i1"'));
    expect(cut).toBeGreaterThan(0);
    w.items.f1![0] = { id: "i1", updated: "2024-06-01T00:00:00Z" };
    const second = await runEngine(MANIFEST, api(w), { selected, incremental: selected, states: lastStates(first, cut + 1), concurrency: 1 });
    expect(second.emitter.records("items").find((r) => r.id === "i1")).toEqual({ id: "i1", updated: "2024-06-01T00:00:00Z" });
  });
});
