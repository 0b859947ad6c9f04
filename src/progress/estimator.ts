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
 * where the mean is rows (and pages) per finished partition. Parents are estimated first, so
 * the tree resolves top-down; a recursive stream (its own parent) converges by iterating. A
 * stream has no estimate until one of its partitions finished and every parent has one (or it
 * is complete: then the estimate is its count). Counts are of new records (after de-duplication
 * and client-side filtering), the ones that fan out and the ones emitted.
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
  /** Partitions created by each parent's records. */
  readonly fromParent = new Map<string, number>();

  constructor(readonly stream: ObservedStream) {}
}

/** Rounds of estimation: enough for any tree depth the manifest has, and for a recursive stream to converge. */
const ROUNDS = 12;

export class RowEstimator implements ReadObserver {
  private readonly tallies = new Map<string, StreamTally>();

  planned(streams: ObservedStream[]): void {
    for (const stream of streams) this.tallies.set(stream.name, new StreamTally(stream));
  }

  partitionScheduled(stream: string, parent: string | undefined): void {
    const tally = this.tallies.get(stream);
    if (!tally) return;
    tally.scheduled++;
    if (parent !== undefined) tally.fromParent.set(parent, (tally.fromParent.get(parent) ?? 0) + 1);
  }

  pageRead(stream: string, partition: object, kept: number, last: boolean): void {
    const tally = this.tallies.get(stream);
    if (!tally) return;
    tally.kept += kept;
    tally.pages++;
    const open = tally.open.get(partition) ?? { kept: 0, pages: 0 };
    open.kept += kept;
    open.pages++;
    if (!last) {
      tally.open.set(partition, open);
      return;
    }
    tally.open.delete(partition);
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
    const { name, parents } = tally.stream;
    let toCome = 0;
    let parentsComplete = true;
    for (const parent of parents) {
      const self = parent === name;
      const parentTally = this.tallies.get(parent);
      // A recursive stream's own records: last round's estimate of itself, to begin with its count.
      const parentEstimate = self ? (previous.get(name) ?? { rows: tally.kept, pages: tally.pages, complete: false }) : (current.get(parent) ?? previous.get(parent));
      if (!parentTally || !parentEstimate) return undefined;
      if (!self && !parentEstimate.complete) parentsComplete = false;
      if (parentEstimate.complete && !self) continue;
      const created = tally.fromParent.get(parent) ?? 0;
      if (parentTally.kept === 0) {
        if (!self) return undefined;
        continue;
      }
      toCome += (created / parentTally.kept) * Math.max(0, parentEstimate.rows - parentTally.kept);
    }
    const notStarted = tally.scheduled - tally.finished - tally.open.size;
    // No parent will create more partitions (a recursive stream's own records do so only while a partition of it is open).
    if (parentsComplete && notStarted === 0 && tally.open.size === 0) return { rows: tally.kept, pages: tally.pages, complete: true };
    if (tally.finished === 0) return undefined;
    const meanRows = tally.keptFinished / tally.finished;
    const meanPages = tally.pagesFinished / tally.finished;
    let rows = tally.keptFinished + (notStarted + toCome) * meanRows;
    let pages = tally.pagesFinished + (notStarted + toCome) * meanPages;
    for (const open of tally.open.values()) {
      rows += Math.max(meanRows, open.kept + open.kept / open.pages);
      pages += Math.max(meanPages, open.pages + 1);
    }
    return { rows: Math.max(rows, tally.kept), pages: Math.max(pages, tally.pages), complete: false };
  }
}
