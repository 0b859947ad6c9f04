/**
 * The engine side of a stream's change feed (the manifest side is declarative/change-feed.ts).
 * Before an incremental partition is listed, its feed is read from the token kept in state:
 *
 *   feed pages → tombstones for deleted records (in this stream or another one the feed names),
 *              → keys whose children changed without the cursor seeing it (re-read after the
 *                listing: their child partitions again, or a lookup of the record first)
 *              → the new token (kept with the partition's position), or "too old": read in full
 *
 * A feed that is unavailable (ignored by the error handler) leaves the partition to its cursor.
 */
import { valueAt } from "../declarative/record-selector.js";
import type { ApiRecord } from "../declarative/record-selector.js";
import type { ChangeFeed } from "../declarative/stream.js";
import { emptyParts } from "../declarative/request-option.js";
import { interpolateBoolean, interpolateString } from "../manifest/interpolation.js";
import type { SyncEmitter } from "../protocol/emitter.js";
import { type PageResult, type Slice, describeSlice } from "./fetch.js";
import type { StreamRun } from "./plan.js";
import { type FeedProgress, type NewItem, type PartitionProgress, type Waiter, type WorkItem, keyedRecord } from "./work.js";

/** What the feed reader asks of the read loop. */
export interface ReadActions {
  schedule(item: NewItem): void;
  /** Schedules the partition's listing (from its start, or from the beginning after a restart). */
  scheduleListing(progress: PartitionProgress, slice: Slice, waiters: Waiter[]): void;
  fanOut(run: StreamRun, record: ApiRecord, slice: Slice, waiters: Waiter[], since?: Date, onlyStreams?: readonly string[]): void;
  /** Emits a record of `run` unless its key was emitted before; false for a repeat. */
  emitRecord(run: StreamRun, record: ApiRecord): Promise<boolean>;
}

export class FeedReader {
  constructor(
    private readonly runs: ReadonlyMap<string, StreamRun>,
    private readonly emitter: SyncEmitter,
    private readonly config: Record<string, unknown>,
    private readonly actions: ReadActions,
  ) {}

  static progress(feed: ChangeFeed): FeedProgress {
    return { token: undefined, restart: false, listed: new Set(), deleted: new Set(), rereads: feed.rereads.map(() => new Set()) };
  }

  /** One page of the feed: tombstones now, re-reads noted for later, then the next page or the listing. */
  async page(item: WorkItem, outcome: PageResult, feed: ChangeFeed): Promise<void> {
    const progress = item.progress!;
    const state = progress.feed!;
    if (outcome.kind === "ignored" || outcome.kind === "reset") {
      await this.emitter.log(
        "WARN",
        `The change feed of ${item.run.name} (${describeSlice(item.slice)}) is unavailable (${outcome.reason}); ` +
          "reading this partition from its cursor only (deletions are not seen)",
      );
      this.actions.scheduleListing(progress, item.slice, item.waiters);
      return;
    }
    const context = { config: this.config, response: outcome.body ?? {} };
    const token = interpolateString(feed.token, context);
    if (token) state.token = token;
    // Only a token we kept and the feed now rejects means "changes were lost": read in full. With
    // no token (first feed read, or the feed was unavailable last time) the cursor position stands.
    const tokenWasSaved = item.token !== undefined;
    if (tokenWasSaved && feed.restartWhen && interpolateBoolean(feed.restartWhen, context)) state.restart = true;
    for (const event of outcome.records) {
      const eventContext = { config: this.config, record: event };
      if (await this.emitDeletions(item.run, feed, eventContext, state.deleted)) continue;
      feed.rereads.forEach((rule, i) => {
        const key = interpolateString(rule.key, eventContext);
        if (key) state.rereads[i]!.add(key);
      });
    }
    if (outcome.next !== undefined && !state.restart) {
      this.actions.schedule({ ...item, token: outcome.next, tokens: item.tokens });
      return;
    }
    this.actions.scheduleListing(progress, item.slice, item.waiters);
  }

  /** After an incremental listing with a feed: re-read what the cursor missed. */
  scheduleRereads(item: WorkItem, feed: ChangeFeed): void {
    const state = item.progress!.feed!;
    feed.rereads.forEach((rule, i) => {
      for (const key of state.rereads[i]!) {
        if (state.deleted.has(key)) continue;
        if (rule.lookup) {
          if (state.listed.has(key)) continue;
          this.actions.schedule({
            run: item.run,
            kind: "lookup",
            def: rule.lookup,
            slice: { ...keyedRecord(item.run.def, key), parent_slice: item.slice },
            extra: emptyParts(),
            progress: item.progress,
            waiters: item.waiters,
            reread: i,
          });
        } else {
          this.actions.fanOut(item.run, keyedRecord(item.run.def, key), item.slice, item.waiters, undefined, rule.streams);
        }
      }
    });
  }

  /** A looked-up record: its parent's children are re-read, or (without a parent) it is emitted. */
  async lookup(item: WorkItem, outcome: PageResult, feed: ChangeFeed): Promise<void> {
    if (outcome.kind !== "page") return;
    const rule = feed.rereads[item.reread!]!;
    for (const record of outcome.records) {
      const parent = rule.parentKey ? valueAt(record, rule.parentKey) : undefined;
      const parentSlice = item.slice.parent_slice as Slice;
      if (parent !== undefined && parent !== null && parent !== "") {
        this.actions.fanOut(item.run, keyedRecord(item.run.def, String(parent)), parentSlice, item.waiters, undefined, rule.streams);
      } else if (await this.actions.emitRecord(item.run, record)) {
        this.actions.fanOut(item.run, record, parentSlice, item.waiters);
      }
    }
  }

  /**
   * The tombstones one feed record announces (`_ab_cdc_deleted_at`, Airbyte's CDC convention), in
   * the stream each deletion names; true when the record was a deletion. Keys deleted from the
   * feed's own stream are remembered, so no re-read is scheduled for them.
   */
  private async emitDeletions(owner: StreamRun, feed: ChangeFeed, eventContext: Record<string, unknown>, ownDeleted: Set<string>): Promise<boolean> {
    let any = false;
    for (const deletion of feed.deletions) {
      const key = interpolateString(deletion.key, eventContext);
      if (!key) continue;
      any = true;
      // A stream this sync does not read has no run (the source checked that the name exists).
      const run = deletion.stream === undefined ? owner : this.runs.get(deletion.stream);
      if (run === owner) ownDeleted.add(key);
      if (run === undefined || run.seen.has(key) || !run.selected) continue;
      const at = (feed.deletedAt && interpolateString(feed.deletedAt, eventContext)) || new Date().toISOString();
      await this.actions.emitRecord(run, { ...keyedRecord(run.def, key), _ab_cdc_deleted_at: at });
    }
    return any;
  }
}
