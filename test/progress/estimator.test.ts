/** Row estimates from partitions and pages seen (src/progress/estimator.ts), on hand-made trees. */
import { describe, expect, it } from "vitest";
import { RowEstimator } from "../../src/progress/estimator.js";

/** Reads one partition of `stream` whose pages keep `pages` records each (the last page ends it). */
function readPartition(estimator: RowEstimator, stream: string, pages: number[]): void {
  const partition = {};
  pages.forEach((kept, i) => estimator.pageRead(stream, partition, kept, i === pages.length - 1));
}

describe("RowEstimator", () => {
  it("has no estimate before a partition finished, then extrapolates the scheduled partitions", () => {
    const e = new RowEstimator();
    e.planned([{ name: "items", parents: [], selected: true }]);
    for (let i = 0; i < 4; i++) e.partitionScheduled("items", undefined, {});
    expect(e.estimates().get("items")).toBeUndefined();
    readPartition(e, "items", [100, 20]);
    // One partition of 120 records in 2 pages; 3 more partitions of the same size.
    expect(e.estimates().get("items")).toEqual({ rows: 480, pages: 8, complete: false });
    for (let i = 0; i < 3; i++) readPartition(e, "items", [10]);
    expect(e.estimates().get("items")).toEqual({ rows: 150, pages: 5, complete: true });
  });

  it("counts an open partition as at least what it has plus one more page at its density", () => {
    const e = new RowEstimator();
    e.planned([{ name: "items", parents: [], selected: true }]);
    e.partitionScheduled("items", undefined, {});
    e.partitionScheduled("items", undefined, {});
    readPartition(e, "items", [10]);
    const open = {};
    e.pageRead("items", open, 100, false);
    e.pageRead("items", open, 100, false);
    expect(e.estimates().get("items")).toMatchObject({ rows: 10 + 300, pages: 1 + 3 });
  });

  it("estimates a child's partitions to come from its parent's records still to come", () => {
    const e = new RowEstimator();
    e.planned([
      { name: "parents", parents: [], selected: false },
      { name: "children", parents: ["parents"], selected: true },
    ]);
    e.partitionScheduled("parents", undefined, {});
    e.partitionScheduled("parents", undefined, {});
    // The first parent partition: 10 records, 5 of which have children (a filter keeps half).
    readPartition(e, "parents", [10]);
    for (let i = 0; i < 5; i++) e.partitionScheduled("children", "parents", {});
    expect(e.estimates().get("children")).toBeUndefined();
    readPartition(e, "children", [4]);
    // Parents: 20 expected, 10 to come, so 5 more child partitions; 10 child partitions of 4 rows.
    expect(e.estimates().get("parents")).toMatchObject({ rows: 20, complete: false });
    expect(e.estimates().get("children")).toMatchObject({ rows: 40, pages: 10, complete: false });
  });

  it("is complete only when every parent is", () => {
    const e = new RowEstimator();
    e.planned([
      { name: "parents", parents: [], selected: false },
      { name: "children", parents: ["parents"], selected: true },
    ]);
    e.partitionScheduled("parents", undefined, {});
    const open = {};
    e.pageRead("parents", open, 2, false);
    e.partitionScheduled("children", "parents", {});
    readPartition(e, "children", [3]);
    // The parent is still open (so no estimate of it yet): neither has the child.
    expect(e.estimates().get("children")).toBeUndefined();
    e.pageRead("parents", open, 0, true);
    expect(e.estimates().get("children")).toEqual({ rows: 3, pages: 1, complete: true });
  });

  it("converges for a stream that is its own parent", () => {
    const e = new RowEstimator();
    e.planned([
      { name: "tasks", parents: [], selected: true },
      { name: "subtasks", parents: ["tasks", "subtasks"], selected: true },
    ]);
    e.partitionScheduled("tasks", undefined, {});
    e.partitionScheduled("tasks", undefined, {});
    readPartition(e, "tasks", [100]);
    // Half the tasks have 2 subtasks; a quarter of those have 2 subtasks in turn.
    for (let i = 0; i < 50; i++) e.partitionScheduled("subtasks", "tasks", {});
    for (let i = 0; i < 4; i++) readPartition(e, "subtasks", [2]);
    e.partitionScheduled("subtasks", "subtasks", {});
    e.partitionScheduled("subtasks", "subtasks", {});
    const estimate = e.estimates().get("subtasks")!;
    expect(estimate.complete).toBe(false);
    // 48 partitions not read yet and 50 to come from the other 100 tasks, 2 rows each, plus the
    // 8 read: 204 rows, each adding 2/8 of a partition of 2 rows: R = 204 - 4 + R/2, so R = 400.
    expect(estimate.rows).toBeCloseTo(400, 0);
  });

  it("an ignored partition (no records) finishes it", () => {
    const e = new RowEstimator();
    e.planned([{ name: "items", parents: [], selected: true }]);
    e.partitionScheduled("items", undefined, {});
    e.pageRead("items", {}, 0, true);
    expect(e.estimates().get("items")).toEqual({ rows: 0, pages: 1, complete: true });
  });
});

describe("RowEstimator with the counts parent records give (expected_records)", () => {
  it("takes each counted partition's count instead of the mean, and extrapolates counts per parent record", () => {
    const e = new RowEstimator();
    e.planned([
      { name: "tasks", parents: [], selected: true },
      { name: "subtasks", parents: ["tasks"], selected: true },
    ]);
    e.partitionScheduled("tasks", undefined, {});
    e.partitionScheduled("tasks", undefined, {});
    readPartition(e, "tasks", [10]);
    // Three of the 10 tasks have subtasks: 1, 2 and 30 of them.
    const partitions = [{}, {}, {}];
    [1, 2, 30].forEach((n, i) => e.partitionScheduled("subtasks", "tasks", partitions[i]!, n));
    // Before any subtask partition is read, the counts are enough: 33 now, 33 more from the other 10 tasks.
    expect(e.estimates().get("subtasks")).toMatchObject({ rows: 66, complete: false });
    e.pageRead("subtasks", partitions[0]!, 1, true);
    e.pageRead("subtasks", partitions[2]!, 20, false);
    expect(e.estimates().get("subtasks")).toMatchObject({ rows: 66 });
  });
});
