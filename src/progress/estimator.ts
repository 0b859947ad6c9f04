/**
 * Row and page estimates per stream, from what the sync has seen so far and nothing else (no
 * request is ever made to estimate). The model, per stream:
 *
 *   partitions to come = Σ over its parents: (partitions this parent's records created so far /
 *                        parent records so far) × parent records still to come
 *   rows               = rows of finished partitions
 *                        + each open partition: the larger of the mean and what it has so far
 *                          plus one more page at its own density
 *                        + (partitions scheduled but not started + partitions to come) × mean
 *
 * where the mean is rows (and pages) per finished partition. Where the parent record says how
 * many records its child partition holds (the manifest's `expected_records`), that count stands
 * in for the mean: for the partitions not read yet, and, per parent record, for those to come.
 * Parents are estimated first, so the tree resolves top-down; a recursive stream (its own parent)
 * converges by iterating. A stream has no estimate until one of its partitions finished (or
 * every partition left has a count) and every parent has one; a complete stream's estimate is
 * its count. Counts are of new records (after de-duplication and client-side filtering), the
 * ones that fan out and the ones emitted.
 */
import type { ObservedStream, ReadObserver } from "../engine/observer.js";

export interface StreamEstimate {
  /** New records the stream will have read by the end of the sync. */
  rows: number;
  /** Listing pages (requests) it will have read by then. */
  pages: number;
  /** Every partition it will ever have is read. */
  complete: boolean;
}

interface OpenPartition {
  kept: number;
  pages: number;
  /** What its parent record said it holds. */
  expected: number | undefined;
}

/** Partitions created by one parent's records, and the sum of their counts (of those that had one). */
interface FromParent {
  partitions: number;
  counted: number;
  expected: number;
}

class StreamTally {
  scheduled = 0;
  finished = 0;
  /** Records and pages of the finished partitions. */
  keptFinished = 0;
  pagesFinished = 0;
  /** Partitions read part of the way (their first page is in, their last is not). */
  readonly open = new Map<object, OpenPartition>();
  kept = 0;
  pages = 0;
  readonly fromParent = new Map<string, FromParent>();
  /** Counts of the partitions not finished, and their sum. */
  readonly expected = new Map<object, number>();
  expectedPending = 0;

  constructor(readonly stream: ObservedStream) {}
}

/** Rounds of estimation: enough for any tree depth the manifest has, and for a recursive stream to converge. */
const ROUNDS = 12;

export class RowEstimator implements ReadObserver {
  private readonly tallies = new Map<string, StreamTally>();

  planned(streams: ObservedStream[]): void {
    for (const stream of streams) this.tallies.set(stream.name, new StreamTally(stream));
  }

  partitionScheduled(stream: string, parent: string | undefined, partition: object, expectedRows?: number): void {
    const tally = this.tallies.get(stream);
    if (!tally) return;
    tally.scheduled++;
    if (expectedRows !== undefined) {
      tally.expected.set(partition, expectedRows);
      tally.expectedPending += expectedRows;
    }
    if (parent === undefined) return;
    const from = tally.fromParent.get(parent) ?? { partitions: 0, counted: 0, expected: 0 };
    from.partitions++;
    if (expectedRows !== undefined) {
      from.counted++;
      from.expected += expectedRows;
    }
    tally.fromParent.set(parent, from);
  }

  pageRead(stream: string, partition: object, kept: number, last: boolean): void {
    const tally = this.tallies.get(stream);
    if (!tally) return;
    tally.kept += kept;
    tally.pages++;
    const open = tally.open.get(partition) ?? { kept: 0, pages: 0, expected: tally.expected.get(partition) };
    open.kept += kept;
    open.pages++;
    if (!last) {
      tally.open.set(partition, open);
      return;
    }
    tally.open.delete(partition);
    if (open.expected !== undefined) {
      tally.expected.delete(partition);
      tally.expectedPending -= open.expected;
    }
    tally.finished++;
    tally.keptFinished += open.kept;
    tally.pagesFinished += open.pages;
  }

  /** New records read so far. */
  kept(stream: string): number {
    return this.tallies.get(stream)?.kept ?? 0;
  }

  /** Listing pages read so far. */
  pages(stream: string): number {
    return this.tallies.get(stream)?.pages ?? 0;
  }

  /** The streams read, in plan order. */
  streams(): ObservedStream[] {
    return [...this.tallies.values()].map((t) => t.stream);
  }

  /** Every stream's estimate (undefined where there is none yet). */
  estimates(): Map<string, StreamEstimate | undefined> {
    let current = new Map<string, StreamEstimate | undefined>();
    for (let round = 0; round < ROUNDS; round++) {
      const next = new Map<string, StreamEstimate | undefined>();
      for (const tally of this.tallies.values()) next.set(tally.stream.name, this.estimate(tally, current, next));
      current = next;
    }
    return current;
  }

  private estimate(
    tally: StreamTally,
    previous: ReadonlyMap<string, StreamEstimate | undefined>,
    current: ReadonlyMap<string, StreamEstimate | undefined>,
  ): StreamEstimate | undefined {
    const coming = this.fromParents(tally, previous, current);
    if (!coming) return undefined;
    const { toCome, countedToCome, countedRows, parentsComplete } = coming;
    const notStarted = tally.scheduled - tally.finished - tally.open.size;
    // No parent will create more partitions (a recursive stream's own records do so only while a partition of it is open).
    if (parentsComplete && notStarted === 0 && tally.open.size === 0) return { rows: tally.kept, pages: tally.pages, complete: true };
    const meanRows = tally.finished ? tally.keptFinished / tally.finished : undefined;
    const meanPages = tally.finished ? tally.pagesFinished / tally.finished : 1;
    const open = openPartitions(tally, meanRows, meanPages);
    const uncountedNotStarted = notStarted - (tally.expected.size - open.counted);
    if (meanRows === undefined && (uncountedNotStarted > 0 || toCome > 0 || open.uncounted > 0)) return undefined;
    const rows =
      tally.keptFinished +
      open.rows +
      (tally.expectedPending - open.expected) + // the counted partitions not started
      (uncountedNotStarted + toCome) * (meanRows ?? 0) +
      countedRows;
    const pages = tally.pagesFinished + open.pages + (notStarted + toCome + countedToCome) * meanPages;
    return { rows: Math.max(rows, tally.kept), pages: Math.max(pages, tally.pages), complete: false };
  }

  /**
   * The partitions the parents' records still to come will create: without a count (they take the
   * mean: `toCome`), with one (`countedToCome`, their rows in `countedRows`); undefined while a
   * parent has no estimate yet.
   */
  private fromParents(
    tally: StreamTally,
    previous: ReadonlyMap<string, StreamEstimate | undefined>,
    current: ReadonlyMap<string, StreamEstimate | undefined>,
  ): { toCome: number; countedToCome: number; countedRows: number; parentsComplete: boolean } | undefined {
    const { name, parents } = tally.stream;
    let toCome = 0;
    let countedToCome = 0;
    let countedRows = 0;
    let parentsComplete = true;
    for (const parent of parents) {
      const self = parent === name;
      const parentTally = this.tallies.get(parent);
      // A recursive stream's own records: last round's estimate of itself, to begin with its count.
      const parentEstimate = self ? (previous.get(name) ?? { rows: tally.kept, pages: tally.pages, complete: false }) : (current.get(parent) ?? previous.get(parent));
      if (!parentTally || !parentEstimate) return undefined;
      if (!self && !parentEstimate.complete) parentsComplete = false;
      if (parentEstimate.complete && !self) continue;
      const from = tally.fromParent.get(parent) ?? { partitions: 0, counted: 0, expected: 0 };
      if (parentTally.kept === 0) {
        if (!self) return undefined;
        continue;
      }
      const perRecord = Math.max(0, parentEstimate.rows - parentTally.kept) / parentTally.kept;
      if (from.counted > 0 && from.counted === from.partitions) {
        countedToCome += from.partitions * perRecord;
        countedRows += from.expected * perRecord;
      } else {
        toCome += from.partitions * perRecord;
      }
    }
    return { toCome, countedToCome, countedRows, parentsComplete };
  }
}

/** The open partitions: each its count, else the larger of the mean and what it has plus one more page at its density. */
function openPartitions(tally: StreamTally, meanRows: number | undefined, meanPages: number): { rows: number; pages: number; counted: number; expected: number; uncounted: number } {
  const open = { rows: 0, pages: 0, counted: 0, expected: 0, uncounted: 0 };
  for (const partition of tally.open.values()) {
    open.pages += Math.max(meanPages, partition.pages + 1);
    if (partition.expected !== undefined) {
      open.rows += Math.max(partition.expected, partition.kept);
      open.counted++;
      open.expected += partition.expected;
    } else {
      open.rows += Math.max(meanRows ?? 0, partition.kept + partition.kept / partition.pages);
      open.uncounted++;
    }
  }
  return open;
}
