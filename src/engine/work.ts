/**
 * The units of a read and what waits on them. A work item fetches one page (of a listing, of a
 * change feed, or a lookup) for one partition of one stream. Incremental partitions and their
 * listing pages are "waiters": each counts the work items still outstanding because of it (its own
 * pages, the child partitions its records spawned, ...), and its position may move only when that
 * count is back to zero (checkpoints.ts).
 */
import { valueAt } from "../declarative/record-selector.js";
import type { ApiRecord } from "../declarative/record-selector.js";
import type { RequestParts } from "../declarative/request-option.js";
import type { StreamDefinition } from "../declarative/stream.js";
import { systemError } from "../errors.js";
import type { Slice } from "./fetch.js";
import type { StreamRun } from "./plan.js";
import type { Position, Resume } from "./state.js";

/** An incremental partition: where it started, what it saw, and the work it waits for. */
export interface PartitionProgress {
  kind: "partition";
  run: StreamRun;
  partition: Slice;
  /** Request parts from the parent link (the cursor's start option is added per read). */
  baseExtra: RequestParts;
  start: Date;
  latest: Date | undefined;
  /** Read from the start (never read before, or the feed said its token was too old). */
  full: boolean;
  /** Work items (own pages, feed pages, lookups, descendants) not finished yet. */
  outstanding: number;
  failed: boolean;
  feed: FeedProgress | undefined;
  /** Its position when the sync began (kept while the partition is read part of the way). */
  saved: Position | undefined;
  /** Where a previous sync stopped inside this partition; its token is used if the listing matches. */
  resumeFrom: Resume | undefined;
  /** Pages of the listing read so far (counting those a resumed listing skipped). */
  pages: number;
  /** Listing pages whose records and descendants are not all emitted yet, in page order. */
  marks: PageMark[];
  /** Mid-partition checkpoints are off (the listing restarted, or its tokens are not strings). */
  noResume: boolean;
  /** A full-refresh partition a resumed sync had emitted: read, not emitted (WorkItem.quiet). */
  quiet: boolean;
}

/**
 * One listing page of an incremental partition: once its records and everything read because of
 * them are emitted (and the same holds for every earlier page), the partition can resume after it.
 */
export interface PageMark {
  kind: "page";
  progress: PartitionProgress;
  index: number;
  /** The token of the page after it (undefined on the last page). */
  next: string | undefined;
  /** The listing start this token belongs to (formatted). */
  from: string;
  latest: Date | undefined;
  outstanding: number;
  /** The page itself is processed (its fan-out is scheduled). */
  sealed: boolean;
  failed: boolean;
}

/**
 * A partition of a selected full-refresh stream that can be resumed (full-refresh.ts): complete
 * once its own pages and everything read because of them are done.
 */
export interface FullRefreshPartition {
  kind: "full";
  run: StreamRun;
  partition: Slice;
  outstanding: number;
  failed: boolean;
  /** Its listing pages (of a stream with children) not all done yet, in page order. */
  pages: FullRefreshPage[];
}

/**
 * One listing page of a resumable full-refresh partition whose records have children: once its
 * children (and every earlier page's) are all emitted, the partition can resume after it.
 */
export interface FullRefreshPage {
  kind: "full-page";
  owner: FullRefreshPartition;
  /** The token of the page after it (undefined on the last page, or a token that is no string). */
  next: string | undefined;
  outstanding: number;
  sealed: boolean;
  failed: boolean;
}

/**
 * What waits for a work item to finish: incremental partitions, their listing pages, and
 * resumable full-refresh partitions and their listing pages.
 */
export type Waiter = PartitionProgress | PageMark | FullRefreshPartition | FullRefreshPage;

/** What the change feed of one partition found (feed-reader.ts). */
export interface FeedProgress {
  token: string | undefined;
  restart: boolean;
  /** Keys the partition's listing returned. */
  listed: Set<string>;
  deleted: Set<string>;
  /** Per reread rule: keys whose children changed. */
  rereads: Array<Set<string>>;
}

export type ItemKind = "list" | "feed" | "lookup";

export interface WorkItem {
  run: StreamRun;
  kind: ItemKind;
  /** The definition this item fetches with: the stream's own, its feed's, or a lookup's. */
  def: StreamDefinition;
  slice: Slice;
  extra: RequestParts;
  token: unknown;
  /** Tokens already used in this partition: a repeat means the API would loop. */
  tokens: Set<string>;
  resets: number;
  /** The incremental partition this item reads for (its own stream's), if any. */
  progress: PartitionProgress | undefined;
  /** Every incremental partition (progress included) and listing page waiting for this item. */
  waiters: Waiter[];
  /** Lookups: which reread rule asked for it. */
  reread?: number;
  /**
   * A partition a resumed sync had already emitted: read for its children, not emitted again
   * (its keys still count as seen).
   */
  quiet?: boolean;
}

/** What a caller gives to schedule an item; the rest defaults to a first listing page. */
export type NewItem = Pick<WorkItem, "run" | "slice" | "extra" | "waiters"> & Partial<WorkItem>;

export function newItem(item: NewItem): WorkItem {
  return { kind: "list", def: item.run.def, token: undefined, tokens: new Set(), resets: 0, progress: undefined, ...item };
}

/** A record's primary key as one string (composite keys as JSON); undefined without one. */
export function primaryKeyOf(def: StreamDefinition, record: ApiRecord): string | undefined {
  if (!def.primaryKey.length) return undefined;
  const parts = def.primaryKey.map((path) => valueAt(record, path));
  if (parts.some((p) => p === undefined || p === null)) return undefined;
  return parts.length === 1 ? String(parts[0]) : JSON.stringify(parts);
}

/**
 * A record holding only `key` at the stream's primary-key path (`{gid: key}`, `{id: key}`): the
 * tombstone of a deleted record, and the parent record a re-read fans out from.
 */
export function keyedRecord(def: StreamDefinition, key: string): ApiRecord {
  const [path, ...more] = def.primaryKey;
  if (path === undefined || path.length === 0 || more.length > 0) {
    throw systemError(`Manifest: stream ${def.name} needs a single-field primary_key for its change feed`);
  }
  const record: ApiRecord = {};
  let node: ApiRecord = record;
  path.forEach((segment, i) => {
    if (i === path.length - 1) node[segment] = key;
    else node = (node[segment] = {}) as ApiRecord;
  });
  return record;
}

export const keyText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));
