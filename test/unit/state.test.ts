import { describe, expect, it } from "vitest";
import { buildCursor } from "../../src/declarative/cursor.js";
import { CursorState, parseStateInput, partitionKey } from "../../src/engine/state.js";

const cursorNode = {
  type: "DatetimeBasedCursor",
  cursor_field: "modified_at",
  datetime_format: "%Y-%m-%dT%H:%M:%S.%fZ",
  cursor_granularity: "PT0.001S",
  start_datetime: { type: "MinMaxDatetime", datetime: "{{ config.get('start_date') or '2008-01-01T00:00:00Z' }}", datetime_format: "%Y-%m-%dT%H:%M:%SZ" },
  start_time_option: { type: "RequestOption", inject_into: "request_parameter", field_name: "modified_since" },
};

describe("state file forms", () => {
  it("reads the array form, GLOBAL and legacy objects", () => {
    const array = parseStateInput(
      [
        { type: "STREAM", stream: { stream_descriptor: { name: "tasks" }, stream_state: { modified_at: "x" } } },
        { type: "GLOBAL", global: { stream_states: [{ stream_descriptor: { name: "users" }, stream_state: { a: 1 } }] } },
        { type: "STREAM", stream: { stream_descriptor: { name: "reset_me" }, stream_state: null } },
      ],
      "s.json",
    );
    expect([...array.keys()]).toEqual(["tasks", "users"]);
    expect(parseStateInput({ tasks: { modified_at: "x" } }, "s.json").get("tasks")).toEqual({ modified_at: "x" });
    expect(parseStateInput(null, "s.json").size).toBe(0);
  });

  it("names what is wrong in a malformed file", () => {
    expect(() => parseStateInput([{ nope: 1 }], "s.json")).toThrow(/entry 0 .*"stream", "global" or "data"/);
    expect(() => parseStateInput([1], "s.json")).toThrow(/entry 0 is not an object/);
    expect(() => parseStateInput("text", "s.json")).toThrow(/must hold a JSON array/);
    expect(() => parseStateInput([{ type: "STREAM", stream: { stream_descriptor: { name: "t" }, stream_state: [1] } }], "s.json")).toThrow(
      /must be an object/,
    );
  });
});

describe("CursorState", () => {
  const cursor = buildCursor(cursorNode, "c", { start_date: "2024-01-01T00:00:00Z" })!;
  const p1 = { project_gid: "1", parent_slice: { workspace_gid: "9", parent_slice: {} } };
  const p2 = { project_gid: "2", parent_slice: { workspace_gid: "9", parent_slice: {} } };

  it("starts new partitions at the start date and saved ones just after their position", () => {
    const state = new CursorState("tasks", cursor, true, undefined);
    expect(state.startFor(p1).toISOString()).toBe("2024-01-01T00:00:00.000Z");
    state.complete(p1, state.startFor(p1), new Date("2024-05-05T10:00:00.123Z"));
    const snap = state.snapshot();
    expect(snap).toEqual({
      use_global_cursor: false,
      states: [{ partition: p1, cursor: { modified_at: "2024-05-05T10:00:00.123000Z" } }],
      state: { modified_at: "2024-05-05T10:00:00.123000Z" },
    });
    const next = new CursorState("tasks", cursor, true, snap);
    expect(next.startFor({ parent_slice: p1.parent_slice, project_gid: "1" }).toISOString()).toBe("2024-05-05T10:00:00.124Z");
    expect(next.startFor(p2).toISOString()).toBe("2024-01-01T00:00:00.000Z");
    expect(partitionKey({ b: 1, a: { d: 2, c: 3 } })).toBe(partitionKey({ a: { c: 3, d: 2 }, b: 1 }));
    // The key is the partition's JSON with sorted keys: what JSON leaves out stays out.
    expect(partitionKey({ b: [2, undefined, { y: null, x: "\"" }], a: undefined, c: "é" })).toBe('{"b":[2,null,{"x":"\\"","y":null}],"c":"é"}');
  });

  it("keeps a partition's position when it had no newer record", () => {
    const state = new CursorState("tasks", cursor, true, {
      states: [{ partition: p1, cursor: { modified_at: "2024-05-05T10:00:00.000000Z" } }],
    });
    state.complete(p1, state.startFor(p1), undefined);
    expect((state.snapshot().states as Array<{ cursor: unknown }>)[0]!.cursor).toEqual({ modified_at: "2024-05-05T10:00:00.000000Z" });
    // Extra values (a change feed's token) travel with the position.
    state.complete(p1, state.startFor(p1), new Date("2024-06-01T00:00:00Z"), { sync: "tok" });
    const reloaded = new CursorState("tasks", cursor, true, state.snapshot());
    expect(reloaded.positionOf(p1)?.extra).toEqual({ sync: "tok" });
  });

  it("moves a global cursor only when the whole stream was read", () => {
    const global = buildCursor({ ...cursorNode, global_substream_cursor: true }, "c", {})!;
    const state = new CursorState("stories", global, true, { modified_at: "2024-01-01T00:00:00.000000Z" });
    state.complete(p1, state.startFor(p1), new Date("2024-06-01T00:00:00Z"));
    expect(state.snapshot()).toEqual({ modified_at: "2024-01-01T00:00:00.000000Z" });
    state.finish();
    expect(state.snapshot()).toEqual({ modified_at: "2024-06-01T00:00:00.000000Z" });
  });

  it("rejects malformed stream states clearly", () => {
    expect(() => new CursorState("tasks", cursor, true, { states: [{ partition: p1 }] })).toThrow(/needs "partition" and "cursor"/);
    expect(() => new CursorState("tasks", cursor, true, { modified_at: "yesterday" })).toThrow(/not a date-time/);
    expect(() => new CursorState("tasks", cursor, true, { something: 1 })).toThrow(/expected "modified_at"/);
    expect(() => buildCursor(cursorNode, "c", { start_date: "soon" })).toThrow(/start date "soon"/);
  });
});

describe("mid-partition positions", () => {
  const cursor = buildCursor(cursorNode, "c", { start_date: "2024-01-01T00:00:00Z" })!;
  const entry = (at: string, extra: Record<string, string> = {}) => ({ partition: { project_gid: "1" }, cursor: { modified_at: at, ...extra } });
  const resume = (pages: number) => ({ resume_token: `t${pages}`, resume_pages: String(pages), resume_from: "2024-02-01T00:00:00.001Z" });
  const blob = (...states: unknown[]) => ({ use_global_cursor: false, states });

  it("keeps the saved position and its feed token, and takes the older resume point across consumers", () => {
    const state = new CursorState("tasks", cursor, true, blob(entry("2024-02-01T00:00:00.000Z", { sync: "feed-1" })));
    const saved = state.positionOf({ project_gid: "1" });
    state.inProgress({ project_gid: "1" }, saved, { token: "t3", pages: 3, from: "2024-02-01T00:00:00.001Z", full: false, latest: undefined });
    const snap = state.snapshot() as { states: Array<{ cursor: Record<string, string> }> };
    expect(snap.states[0]!.cursor).toEqual({ modified_at: "2024-02-01T00:00:00.000000Z", sync: "feed-1", ...resume(3) });

    const older = CursorState.oldestOf("tasks", cursor, true, [snap, blob(entry("2024-02-01T00:00:00.000Z", resume(2)))]);
    expect(older.positionOf({ project_gid: "1" })!.extra.resume_pages).toBe("2");
    // A settled position at the same cursor is newer than any part-read one; an older cursor wins.
    const settled = CursorState.oldestOf("tasks", cursor, true, [blob(entry("2024-02-01T00:00:00.000Z")), snap]);
    expect(settled.positionOf({ project_gid: "1" })!.extra.resume_pages).toBe("3");
    const earlier = CursorState.oldestOf("tasks", cursor, true, [blob(entry("2024-01-15T00:00:00.000Z")), snap]);
    expect(earlier.positionOf({ project_gid: "1" })!.extra.resume_pages).toBeUndefined();
  });

  it("completing the partition drops the resume point", () => {
    const state = new CursorState("tasks", cursor, true, blob(entry("2024-02-01T00:00:00.000Z", resume(2))));
    state.complete({ project_gid: "1" }, new Date("2024-02-01T00:00:00.001Z"), new Date("2024-03-01T00:00:00.000Z"), { sync: "feed-2" });
    const snap = state.snapshot() as { states: Array<{ cursor: Record<string, string> }> };
    expect(snap.states[0]!.cursor).toEqual({ modified_at: "2024-03-01T00:00:00.000000Z", sync: "feed-2" });
  });
});

describe("DatetimeBasedCursor step", () => {
  it("accepts a step longer than all of history (one window), rejects a shorter one", () => {
    expect(buildCursor({ ...cursorNode, step: "P36500D" }, "c", {})?.granularityMs).toBe(1);
    expect(() => buildCursor({ ...cursorNode, step: "P30D" }, "c", {})).toThrow(/c\.step \(time-window slicing\) is not supported/);
    expect(() => buildCursor({ ...cursorNode, step: "one year" }, "c", {})).toThrow(/c\.step must be an ISO-8601 duration/);
  });
});
