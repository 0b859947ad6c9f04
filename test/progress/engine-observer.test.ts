/**
 * The read loop's observer hooks (src/engine/observer.ts) against the engine's fake API: every
 * partition scheduled is reported with the parent whose record created it, every page with its
 * partition, so that at the end every stream's estimate is complete and equals what was read.
 */
import { describe, expect, it } from "vitest";
import type { ObservedStream, ReadObserver } from "../../src/engine/observer.js";
import { RowEstimator } from "../../src/progress/estimator.js";
import { runEngine } from "../helpers/engine.js";
import { MANIFEST, api, world } from "../engine/fixtures.js";

const ALL = ["folders", "items", "pinned", "notes", "tags"];

describe("the read loop's observer", () => {
  it("reports the plan, each partition with its parent, and each page; the estimates end complete and exact", async () => {
    const estimator = new RowEstimator();
    let planned: ObservedStream[] = [];
    const parents = new Map<string, Set<string>>();
    const observer: ReadObserver = {
      planned: (streams) => {
        planned = streams;
        estimator.planned(streams);
      },
      partitionScheduled: (stream, parent, partition, expected) => {
        if (parent) parents.set(stream, (parents.get(stream) ?? new Set()).add(parent));
        estimator.partitionScheduled(stream, parent, partition, expected);
      },
      pageRead: (stream, partition, kept, last) => estimator.pageRead(stream, partition, kept, last),
    };
    const { emitter, result } = await runEngine(MANIFEST, api(world()), { selected: ALL, observer });
    expect(result.failures).toEqual([]);
    expect(planned.map((s) => s.name).sort()).toEqual([...ALL].sort());
    for (const stream of planned) {
      // Every parent the plan names that created a partition is one the plan listed.
      for (const parent of parents.get(stream.name) ?? []) expect(stream.parents).toContain(parent);
    }
    const estimates = estimator.estimates();
    for (const stream of ALL) {
      expect(estimates.get(stream), stream).toEqual({ rows: emitter.records(stream).length, pages: estimator.pages(stream), complete: true });
    }
  });
});
