/** The resumable full-refresh tracker: the CDK's shape, resume tokens, and a bounded size. */
import { describe, expect, it } from "vitest";
import { FullRefreshResume, MAX_TRACKED_PARTITIONS } from "../../src/engine/full-refresh.js";

describe("FullRefreshResume", () => {
  it("reads back what it checkpoints: complete partitions and next-page tokens", () => {
    const first = new FullRefreshResume(undefined);
    first.markComplete({ project_gid: "1", parent_slice: {} });
    first.pageDone({ project_gid: "2", parent_slice: {} }, "offset-2");
    const again = new FullRefreshResume(first.snapshot());
    expect(again.isComplete({ parent_slice: {}, project_gid: "1" }), "key order does not matter").toBe(true);
    expect(again.isComplete({ project_gid: "2", parent_slice: {} })).toBe(false);
    expect(again.resumeToken({ project_gid: "2", parent_slice: {} })).toBe("offset-2");
    expect(first.snapshot()).toEqual({
      states: [
        { partition: { project_gid: "1", parent_slice: {} }, cursor: { __ab_full_refresh_sync_complete: true } },
        { partition: { project_gid: "2", parent_slice: {} }, cursor: { next_page_token: "offset-2" } },
      ],
    });
  });

  it("stops tracking (and checkpointing) past its limit, so memory and state stay bounded", () => {
    const tracker = new FullRefreshResume(undefined);
    for (let i = 0; i < MAX_TRACKED_PARTITIONS; i++) expect(tracker.markComplete({ task_gid: String(i) })).toBe(true);
    expect(tracker.markComplete({ task_gid: "one too many" })).toBe(false);
    expect(tracker.pageDone({ task_gid: "x" }, "t")).toBe(false);
    expect((tracker.snapshot().states as unknown[]).length).toBe(MAX_TRACKED_PARTITIONS);
  });
});
