/** The lists a state carries while partitions are open: emitted keys, and an incremental child's completed partitions. */
import { describe, expect, it } from "vitest";
import { EmittedKeys, MAX_EMITTED_KEYS } from "../../src/engine/emitted-keys.js";
import { FullRefreshResume } from "../../src/engine/full-refresh.js";

describe("EmittedKeys", () => {
  it("lists the keys of open partitions with their cursor values, and reads them back", () => {
    const keys = new EmittedKeys(undefined);
    keys.listing({ project_gid: "p1", parent_slice: {} })("t1", "2024-01-01T00:00:00Z");
    keys.listing({ project_gid: "p1", parent_slice: {} })("t2", "2024-02-01T00:00:00Z");
    keys.listing({ project_gid: "p2", parent_slice: {} })("t3", "");
    expect(keys.snapshot()).toEqual({ emitted_keys: { t1: "2024-01-01T00:00:00Z", t2: "2024-02-01T00:00:00Z", t3: "" } });
    const again = new EmittedKeys(keys.snapshot());
    expect(again.emittedBefore("t2")).toBe("2024-02-01T00:00:00Z");
    expect(again.emittedBefore("t9")).toBeUndefined();
  });

  it("drops a completed partition's keys but those it keeps (the records at its position)", () => {
    const keys = new EmittedKeys(undefined);
    keys.listing({ project_gid: "p1" })("t1", "2024-01-01T00:00:00Z");
    keys.listing({ project_gid: "p1" })("t2", "2024-02-01T00:00:00Z");
    keys.drop({ project_gid: "p1" }, (value) => value === "2024-02-01T00:00:00Z");
    expect(keys.snapshot()).toEqual({ emitted_keys: { t2: "2024-02-01T00:00:00Z" } });
    keys.drop({ project_gid: "p1" });
    expect(keys.snapshot()).toEqual({});
  });

  it("stays bounded", () => {
    const keys = new EmittedKeys(undefined);
    for (let i = 0; i <= MAX_EMITTED_KEYS; i++) keys.listing({ p: String(i % 7) })(`k${i}`, "");
    expect(Object.keys(keys.snapshot().emitted_keys as object)).toHaveLength(MAX_EMITTED_KEYS);
  });
});

describe("an incremental child's completed partitions", () => {
  it("are listed by their own values and match whichever parent leads to them", () => {
    const done = FullRefreshResume.ofIncremental(undefined);
    done.markComplete({ task_gid: "t1", parent_slice: { project_gid: "p1", parent_slice: {} } });
    expect(done.incrementalSnapshot()).toEqual({ completed_partitions: [{ task_gid: "t1" }] });
    const again = FullRefreshResume.ofIncremental({ updated: "2024-01-01T00:00:00Z", ...done.incrementalSnapshot() });
    expect(again.isComplete({ task_gid: "t1", parent_slice: { project_gid: "p2", parent_slice: {} } })).toBe(true);
    expect(again.isComplete({ task_gid: "t2", parent_slice: {} })).toBe(false);
    expect(FullRefreshResume.ofIncremental(undefined).incrementalSnapshot(), "nothing listed: nothing added").toEqual({});
  });
});
