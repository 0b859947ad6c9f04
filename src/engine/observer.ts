/**
 * What the read loop tells an observer about the shape of the work, as it discovers it: the
 * stream tree, each partition scheduled (and which stream's record led to it), and each listing
 * page read. Counters only, called synchronously: an observer must not block or throw. The
 * progress display and the row estimates (src/progress/) are built on it; the engine knows
 * neither.
 */
export interface ObservedStream {
  name: string;
  /** The streams whose records create its partitions (itself too, for a recursive link). */
  parents: string[];
  /** Emitted (in the catalog), not only read to feed its children. */
  selected: boolean;
}

export interface ReadObserver {
  /** The streams the sync reads, before any request. */
  planned(streams: ObservedStream[]): void;
  /**
   * A partition of `stream` will be read; `parent` is the stream whose record created it (none for
   * a root partition), `partition` the object its pages are reported with, and `expectedRows` what
   * the parent record says the partition holds, where the manifest tells where it says so.
   */
  partitionScheduled(stream: string, parent: string | undefined, partition: object, expectedRows?: number): void;
  /**
   * A listing page of `stream` was read: `kept` of its records were new (not duplicates, not
   * filtered out), and `last` is true when its partition has no page after it. `partition` is
   * the same object for every page of one partition (its slice).
   */
  pageRead(stream: string, partition: object, kept: number, last: boolean): void;
}
