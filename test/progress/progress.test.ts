/**
 * SyncProgress (src/progress/progress.ts) on a hand-driven clock: when ESTIMATE messages go out,
 * when summary lines do, and the live block on a terminal that only records what it was told.
 */
import { describe, expect, it } from "vitest";
import type { LiveTerminal } from "../../src/progress/display.js";
import { SyncProgress } from "../../src/progress/progress.js";
import type { LogLevel, SyncEmitter } from "../../src/protocol/emitter.js";

interface Written {
  estimates: Array<[string, number]>;
  logs: Array<[LogLevel, string]>;
}

function harness(options: { terminal?: LiveTerminal; summaryIntervalMs?: number; estimates?: boolean } = {}) {
  let now = 0;
  const written: Written = { estimates: [], logs: [] };
  const counters = { dispatched: 0, rateLimited: 0 };
  const progress = new SyncProgress({
    sink: {
      log: async (level, message) => void written.logs.push([level, message]),
      ...(options.estimates === false ? {} : { estimate: async (stream: string, rows: number) => void written.estimates.push([stream, rows]) }),
    },
    requests: () => counters,
    ceiling: 25,
    estimateIntervalMs: 5000,
    summaryIntervalMs: options.summaryIntervalMs ?? 30_000,
    now: () => now,
    ...(options.terminal ? { terminal: options.terminal } : {}),
  });
  const inner: SyncEmitter = {
    record: async () => undefined,
    state: async () => undefined,
    streamStatus: async () => undefined,
    rateLimited: async () => undefined,
    log: async (level, message) => void written.logs.push([level, message]),
  };
  const emitter = progress.wrap(inner);
  progress.planned([{ name: "items", parents: [], selected: true }]);
  for (let i = 0; i < 10; i++) progress.partitionScheduled("items", undefined, {});
  /** One partition of `rows` records read and emitted. */
  const readPartition = async (rows: number): Promise<void> => {
    for (let i = 0; i < rows; i++) await emitter.record("items", {});
    progress.pageRead("items", {}, rows, true);
    counters.dispatched++;
  };
  const advance = (ms: number): void => {
    now += ms;
  };
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  return { progress, emitter, written, counters, readPartition, advance, settle };
}

describe("SyncProgress", () => {
  it("sends an estimate as soon as there is one, then at most every interval and only when it moved", async () => {
    const h = harness();
    h.progress.tick();
    await h.settle();
    expect(h.written.estimates).toEqual([]);
    await h.readPartition(10);
    h.progress.tick();
    await h.settle();
    expect(h.written.estimates).toEqual([["items", 100]]);
    await h.readPartition(30); // mean 20: 200 expected
    h.advance(1000);
    h.progress.tick();
    await h.settle();
    expect(h.written.estimates).toHaveLength(1);
    h.advance(5000);
    h.progress.tick();
    h.advance(5000);
    h.progress.tick(); // unchanged: not sent again
    await h.settle();
    expect(h.written.estimates).toEqual([["items", 100], ["items", 200]]);
  });

  it("sends no estimate for a stream once it ended, nor to a sink without estimates", async () => {
    const h = harness();
    await h.readPartition(10);
    await h.emitter.streamStatus("items", "COMPLETE");
    h.progress.tick();
    await h.settle();
    expect(h.written.estimates).toEqual([]);
    const singer = harness({ estimates: false });
    await singer.readPartition(10);
    singer.progress.tick();
    await singer.settle();
    expect(singer.written.estimates).toEqual([]);
  });

  it("without a terminal, writes one INFO summary line per interval", async () => {
    const h = harness({ summaryIntervalMs: 30_000 });
    await h.readPartition(10);
    for (let i = 0; i < 40; i++) {
      h.advance(1000);
      h.progress.tick();
    }
    await h.progress.stop();
    const summaries = h.written.logs.filter(([, m]) => m.startsWith("Progress: "));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]![0]).toBe("INFO");
    expect(summaries[0]![1]).toContain("items 10 of ~100");
    expect(summaries[0]![1]).toMatch(/^[\x20-\x7e]+$/); // printable ASCII: no control characters
  });

  it("on a terminal, redraws the block each tick and erases it around a log line", async () => {
    const frames: string[] = [];
    const calls: string[] = [];
    const terminal: LiveTerminal = {
      render: (text) => {
        frames.push(text);
        calls.push("render");
      },
      clear: () => calls.push("clear"),
      done: () => calls.push("done"),
    };
    const h = harness({ terminal });
    h.progress.tick();
    await h.readPartition(10);
    h.advance(2000);
    h.progress.tick();
    await h.emitter.log("WARN", "something happened");
    await h.progress.stop();
    expect(frames.length).toBe(4);
    expect(calls).toEqual(["render", "render", "clear", "render", "render", "done"]);
    expect(frames[1]).toMatch(/items +10 of ~100 records, 1 page\b/);
    expect(frames[1]).toMatch(/about \d+ s left/);
    expect(h.written.logs.filter(([, m]) => m.startsWith("Progress: "))).toEqual([]);
  });
});
