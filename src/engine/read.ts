/**
 * The read loop. Streams form a tree (parents feed child partitions); every stream that is
 * selected, or is an ancestor of one, is read exactly once, and each of its pages serves both its
 * own output and all its children:
 *
 *   root partitions → page → records → (emit if selected) → child partitions → page → ...
 *
 * - Records of a stream with a primary key are de-duplicated within the sync: a task listed under
 *   two projects is emitted once and fans out once.
 * - Child partitions are de-duplicated by their partition value (stories of a task reached as a
 *   task and as a subtask are read once).
 * - Workers take the deepest waiting work first (see DepthQueue), so memory stays flat.
 * - Incremental partitions start at their saved position (plan.ts). A partition's position
 *   moves, and is checkpointed, only once its own pages and every piece of work it spawned
 *   (child partitions, lookups) are done: a sync killed at any point and resumed from its last
 *   STATE loses nothing.
 * - With a change feed (change-feed.ts), an incremental partition first reads the feed from its
 *   saved token: deleted records become tombstones, and changes the cursor misses re-read the
 *   affected children.
 * - A stream is complete when its own work is done and every parent is complete; then its final
 *   STATE and COMPLETE status are emitted, after all its records.
 */
import { valueAt } from "../declarative/record-selector.js";
import type { Record_ } from "../declarative/record-selector.js";
import { type RequestParts, emptyParts } from "../declarative/request-option.js";
import type { DeclarativeSource } from "../declarative/source.js";
import type { ChangeFeed, StreamDefinition } from "../declarative/stream.js";
import { ConnectorError, errorMessage, systemError } from "../errors.js";
import { interpolateBoolean, interpolateString } from "../manifest/interpolation.js";
import type { SyncEmitter } from "../protocol/emitter.js";
import { type FetchEnvironment, type PageOutcome, type Slice, describeSlice, fetchPage } from "./fetch.js";
import { StreamRun, planRuns } from "./plan.js";
import { type Position, type Resume, type StateBlob, resumeOf } from "./state.js";
import { DepthQueue } from "./work-queue.js";

export interface StreamFailure {
  stream: string;
  error: ConnectorError;
}

export interface ReadResult {
  failures: StreamFailure[];
  recordsByStream: Map<string, number>;
}

export interface ReadOptions {
  source: DeclarativeSource;
  /** Names of the streams to emit, in catalog order. */
  selected: string[];
  emitter: SyncEmitter;
  env: FetchEnvironment;
  /** Workers (pages fetched at once). */
  concurrency: number;
  /**
   * Top-level fields selected per stream (the catalog's columns). A selected stream listed here
   * asks only for these fields where its manifest allows (QueryProperties with a property
   * selector); streams read only as parents always ask for every field.
   */
  fields?: Map<string, string[]>;
  /** Streams read incrementally (they must have a cursor), and their saved states. */
  incremental?: ReadonlySet<string>;
  states?: ReadonlyMap<string, StateBlob>;
  /** Minimum time between two checkpoints of one stream (ms); the final state is always sent. */
  checkpointIntervalMs?: number;
}

/** An incremental partition: where it started, what it saw, and the work it waits for. */
interface PartitionProgress {
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
}

/**
 * One listing page of an incremental partition: once its records and everything read because of
 * them are emitted (and the same holds for every earlier page), the partition can resume after it.
 */
interface PageMark {
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

/** What a work item's completion is awaited by: incremental partitions and their listing pages. */
type Origin = PartitionProgress | PageMark;

interface FeedProgress {
  token: string | undefined;
  restart: boolean;
  /** Keys the partition's listing returned. */
  listed: Set<string>;
  deleted: Set<string>;
  /** Per reread rule: keys whose children changed. */
  rereads: Array<Set<string>>;
}

type ItemKind = "list" | "feed" | "lookup";

interface WorkItem {
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
  origins: Origin[];
  /** Lookups: which reread rule asked for it. */
  reread?: number;
}

function primaryKeyOf(def: StreamDefinition, record: Record_): string | undefined {
  if (!def.primaryKey.length) return undefined;
  const parts = def.primaryKey.map((path) => valueAt(record, path));
  if (parts.some((p) => p === undefined || p === null)) return undefined;
  return parts.length === 1 ? String(parts[0]) : JSON.stringify(parts);
}

const keyText = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

export async function readStreams(options: ReadOptions): Promise<ReadResult> {
  const { emitter } = options;
  // Stream statuses are for catalog streams only: a stream read just to feed its children reports
  // a rate limit as a log line.
  const selectedNames = new Set(options.selected);
  const env: FetchEnvironment = {
    ...options.env,
    emitter: {
      record: (stream, data) => emitter.record(stream, data),
      state: (stream, state) => emitter.state(stream, state),
      streamStatus: (stream, status) => emitter.streamStatus(stream, status),
      log: (level, message) => emitter.log(level, message),
      rateLimited: (stream, quotaReset) =>
        selectedNames.has(stream)
          ? emitter.rateLimited(stream, quotaReset)
          : emitter.log("INFO", `Rate limited while reading ${stream}; resuming at ${new Date(quotaReset).toISOString()}`),
    },
  };
  const runs = planRuns(options.source, {
    selected: options.selected,
    incremental: options.incremental ?? new Set(),
    states: options.states ?? new Map(),
  });
  for (const run of runs.values()) {
    run.def.requester.selectFields(run.selected ? options.fields?.get(run.name) : undefined);
  }
  const checkpointInterval = options.checkpointIntervalMs ?? 1000;
  const queue = new DepthQueue<WorkItem>();
  const failures: StreamFailure[] = [];
  let fatal: ConnectorError | undefined;
  let active = 0;
  let wake: Array<() => void> = [];
  const notify = (): void => {
    const waiting = wake;
    wake = [];
    for (const resolve of waiting) resolve();
  };

  // ---- scheduling ---------------------------------------------------------------------------

  type NewItem = Pick<WorkItem, "run" | "slice" | "extra" | "origins"> & Partial<WorkItem>;
  const schedule = (item: NewItem): void => {
    const full: WorkItem = {
      kind: "list",
      def: item.run.def,
      token: undefined,
      tokens: new Set(),
      resets: 0,
      progress: undefined,
      ...item,
    };
    full.run.pending++;
    for (const origin of full.origins) origin.outstanding++;
    queue.push(full.run.depth, full);
    notify();
  };

  /** A new partition of `run`; incremental ones start at their saved position (feed first). */
  const schedulePartition = (run: StreamRun, slice: Slice, extra: RequestParts, origins: Origin[]): void => {
    const cursor = run.def.cursor;
    if (!run.cursorState || !cursor) {
      schedule({ run, slice, extra, origins });
      return;
    }
    const { extra_fields: _extraFields, ...partition } = slice;
    void _extraFields;
    const feed = run.def.changeFeed;
    const saved = run.cursorState.positionOf(partition);
    const resume = run.cursorState.perPartition ? resumeOf(saved) : undefined;
    const progress: PartitionProgress = {
      kind: "partition",
      run,
      partition,
      baseExtra: extra,
      // A partition a previous sync left part-read continues as it was read: from the same start.
      start: resume?.full ? cursor.start : run.cursorState.startFor(partition),
      latest: resume?.latest !== undefined ? cursor.parse(resume.latest) : undefined,
      full: resume ? resume.full : saved === undefined,
      outstanding: 0,
      failed: false,
      feed: feed
        ? { token: undefined, restart: false, listed: new Set(), deleted: new Set(), rereads: feed.rereads.map(() => new Set()) }
        : undefined,
      saved,
      resumeFrom: resume,
      pages: 0,
      marks: [],
      noResume: !run.cursorState.perPartition,
    };
    run.openPartitions++;
    const withSelf = [...origins, progress];
    if (feed) {
      const savedToken = saved?.extra.sync;
      schedule({ run, kind: "feed", def: feed.feed, slice, extra: emptyParts(), token: savedToken, progress, origins: withSelf });
    } else {
      scheduleListing(progress, slice, withSelf);
    }
  };

  const scheduleListing = (progress: PartitionProgress, slice: Slice, origins: Origin[]): void => {
    const cursor = progress.run.def.cursor!;
    if (progress.feed?.restart) {
      progress.start = cursor.start;
      progress.full = true;
    }
    const from = cursor.format(progress.start);
    const extra: RequestParts = { params: { ...progress.baseExtra.params }, headers: { ...progress.baseExtra.headers } };
    cursor.startOption?.inject(extra, from);
    // Continue after the pages a previous sync finished, if its token belongs to this very listing.
    const resume = progress.resumeFrom?.from === from ? progress.resumeFrom : undefined;
    if (resume) progress.pages = resume.pages;
    schedule({ run: progress.run, slice, extra, progress, origins, token: resume?.token });
  };

  /**
   * Partitions of `run`'s children for one of its records. In an incremental read (`since` is the
   * record's own partition position), links with incremental_dependency only follow records that
   * changed since then; the change feed re-reads the rest explicitly.
   */
  const fanOut = (
    run: StreamRun,
    record: Record_,
    slice: Slice,
    origins: Origin[],
    since?: Date,
    onlyStreams?: readonly string[],
  ): void => {
    const cursor = run.def.cursor;
    const value = since && cursor ? cursor.parse(record[cursor.cursorField]) : undefined;
    const unchanged = value !== undefined && since !== undefined && value < since;
    for (const { child, link } of run.children) {
      if (onlyStreams && !onlyStreams.includes(child.name)) continue;
      if (unchanged && link.incrementalDependency) continue;
      if (link.filter && !link.filter.keep(record, { config: env.config })) continue;
      const partitionValue = valueAt(record, link.parentKey);
      if (partitionValue === undefined || partitionValue === null || partitionValue === "") continue;
      if (!child.schedulePartitionOnce(link.partitionField, keyText(partitionValue))) continue;
      const childSlice: Slice = { [link.partitionField]: partitionValue, parent_slice: slice };
      if (link.extraFields.length) {
        const extraFields: Record<string, unknown> = {};
        for (const path of link.extraFields) extraFields[path.join(".")] = valueAt(record, path);
        childSlice.extra_fields = extraFields;
      }
      const extra = emptyParts();
      link.requestOption?.inject(extra, partitionValue);
      schedulePartition(child, childSlice, extra, origins);
    }
  };

  // ---- completion and state -----------------------------------------------------------------

  const checkpoint = async (run: StreamRun, force: boolean): Promise<void> => {
    // A failed stream keeps the last state it sent: nothing after its failure is vouched for.
    if (!run.selected || !run.incremental || run.failure) return;
    const now = Date.now();
    if (!force && now - run.lastCheckpoint < checkpointInterval) return;
    run.lastCheckpoint = now;
    await emitter.state(run.name, stateOf(run));
  };

  /** An incremental stream's state: its own positions, plus those of ancestors read from positions. */
  const stateOf = (run: StreamRun): StateBlob => {
    const own = run.cursorState?.snapshot() ?? {};
    const parentState: Record<string, StateBlob> = {};
    for (const ancestor of run.ancestors()) {
      if (ancestor.cursorState) parentState[ancestor.name] = ancestor.cursorState.snapshot();
    }
    return Object.keys(parentState).length ? { ...own, parent_state: parentState } : own;
  };

  /**
   * A listing page is done with everything read because of it: the partition's resume point moves
   * past every leading page that is done, and the stream (and its incremental consumers) may
   * checkpoint mid-partition.
   */
  const pageDone = async (mark: PageMark): Promise<void> => {
    const progress = mark.progress;
    let resume: Resume | undefined;
    while (progress.marks.length) {
      const first = progress.marks[0]!;
      if (!first.sealed || first.outstanding > 0 || first.failed) break;
      progress.marks.shift();
      if (first.next !== undefined) {
        const latest = first.latest ? progress.run.def.cursor!.format(first.latest) : undefined;
        resume = { token: first.next, pages: first.index, from: first.from, full: progress.full, latest };
      }
    }
    if (!resume || progress.noResume || progress.failed || progress.run.failure || fatal) return;
    progress.run.cursorState!.inProgress(progress.partition, progress.saved, resume);
    for (const run of [progress.run, ...progress.run.descendants()]) await checkpoint(run, false);
  };

  const originDone = async (origin: PartitionProgress): Promise<void> => {
    origin.run.openPartitions--;
    if (!origin.failed && !origin.run.failure && !fatal) {
      const extra: Record<string, string> = origin.feed?.token ? { sync: origin.feed.token } : {};
      origin.run.cursorState!.complete(origin.partition, origin.start, origin.latest, extra);
      // The stream and every incremental consumer that keeps its position as parent_state.
      for (const run of [origin.run, ...origin.run.descendants()]) await checkpoint(run, false);
    }
    await finish(origin.run);
  };

  const finish = async (run: StreamRun): Promise<void> => {
    if (run.done || run.pending > 0 || run.openPartitions > 0 || run.parents.some((p) => !p.done)) return;
    run.done = true;
    const broken = run.failure || run.ancestors().some((a) => a.failure) || fatal;
    if (!broken) run.cursorState?.finish();
    if (run.selected) {
      if (!run.runningSent) {
        run.runningSent = true;
        await emitter.streamStatus(run.name, "RUNNING");
      }
      if (broken) {
        await emitter.streamStatus(run.name, "INCOMPLETE");
      } else {
        if (run.incremental) await checkpoint(run, true);
        else await emitter.state(run.name, { __ab_no_cursor_state_message: true });
        await emitter.streamStatus(run.name, "COMPLETE");
      }
    }
    for (const { child } of run.children) if (child !== run) await finish(child);
  };

  const fail = (item: WorkItem, error: ConnectorError): void => {
    const { run } = item;
    if (!run.failure) {
      run.failure = error;
      failures.push({ stream: run.name, error });
    }
    for (const origin of item.origins) origin.failed = true;
    if (error.failureType === "config_error") fatal ??= error;
  };

  // ---- processing ---------------------------------------------------------------------------

  const emitRecord = async (run: StreamRun, record: Record_): Promise<boolean> => {
    const key = primaryKeyOf(run.def, record);
    if (key !== undefined) {
      if (!run.seen.add(key)) return false;
    }
    if (run.selected) {
      run.records++;
      await emitter.record(run.name, record);
    }
    return true;
  };

  /**
   * The tombstones one feed record announces (`_ab_cdc_deleted_at`, Airbyte's CDC convention), in
   * the stream each deletion names; true when the record was a deletion. Keys deleted from the
   * feed's own stream are remembered, so no re-read is scheduled for them.
   */
  const emitDeletions = async (owner: StreamRun, feed: ChangeFeed, eventContext: Record<string, unknown>, ownDeleted: Set<string>): Promise<boolean> => {
    let any = false;
    for (const deletion of feed.deletions) {
      const key = interpolateString(deletion.key, eventContext);
      if (!key) continue;
      any = true;
      // A stream this sync does not read has no run (the source checked that the name exists).
      const run = deletion.stream === undefined ? owner : runs.get(deletion.stream);
      if (run === owner) ownDeleted.add(key);
      if (run === undefined || run.seen.has(key) || !run.selected) continue;
      const at = (feed.deletedAt && interpolateString(feed.deletedAt, eventContext)) || new Date().toISOString();
      await emitRecord(run, { [run.def.primaryKey[0]?.[0] ?? "gid"]: key, _ab_cdc_deleted_at: at });
    }
    return any;
  };

  const processFeedPage = async (item: WorkItem, outcome: PageOutcome, feed: ChangeFeed): Promise<void> => {
    const progress = item.progress!;
    const state = progress.feed!;
    if (outcome.kind === "ignored" || outcome.kind === "reset") {
      await emitter.log(
        "WARN",
        `The change feed of ${item.run.name} (${describeSlice(item.slice)}) is unavailable (${outcome.reason}); ` +
          "reading this partition from its cursor only (deletions are not seen)",
      );
      scheduleListing(progress, item.slice, item.origins);
      return;
    }
    const context = { config: env.config, response: outcome.body ?? {} };
    const token = interpolateString(feed.token, context);
    if (token) state.token = token;
    // Only a token we kept and the feed now rejects means "changes were lost": read in full. With
    // no token (first feed read, or the feed was unavailable last time) the cursor position stands.
    const tokenWasSaved = item.token !== undefined;
    if (tokenWasSaved && feed.restartWhen && interpolateBoolean(feed.restartWhen, context)) state.restart = true;
    for (const event of outcome.records) {
      const eventContext = { config: env.config, record: event };
      if (await emitDeletions(item.run, feed, eventContext, state.deleted)) continue;
      feed.rereads.forEach((rule, i) => {
        const key = interpolateString(rule.key, eventContext);
        if (key) state.rereads[i]!.add(key);
      });
    }
    if (outcome.next !== undefined && !state.restart) {
      schedule({ ...item, token: outcome.next, tokens: item.tokens });
      return;
    }
    scheduleListing(progress, item.slice, item.origins);
  };

  /** After an incremental listing with a feed: re-read what the cursor missed. */
  const scheduleRereads = (item: WorkItem, feed: ChangeFeed): void => {
    const state = item.progress!.feed!;
    feed.rereads.forEach((rule, i) => {
      for (const key of state.rereads[i]!) {
        if (state.deleted.has(key)) continue;
        if (rule.lookup) {
          if (state.listed.has(key)) continue;
          schedule({
            run: item.run,
            kind: "lookup",
            def: rule.lookup,
            slice: { gid: key, parent_slice: item.slice },
            extra: emptyParts(),
            progress: item.progress,
            origins: item.origins,
            reread: i,
          });
        } else {
          fanOut(item.run, { gid: key }, item.slice, item.origins, undefined, rule.streams);
        }
      }
    });
  };

  const processLookup = async (item: WorkItem, outcome: PageOutcome, feed: ChangeFeed): Promise<void> => {
    if (outcome.kind !== "page") return;
    const rule = feed.rereads[item.reread!]!;
    for (const record of outcome.records) {
      const parent = rule.parentKey ? valueAt(record, rule.parentKey) : undefined;
      const parentSlice = item.slice.parent_slice as Slice;
      if (parent !== undefined && parent !== null && parent !== "") {
        fanOut(item.run, { gid: parent }, parentSlice, item.origins, undefined, rule.streams);
      } else if (await emitRecord(item.run, record)) {
        fanOut(item.run, record, parentSlice, item.origins);
      }
    }
  };

  const process = async (item: WorkItem): Promise<void> => {
    const { run } = item;
    if (run.failure || fatal) {
      // Not read: every partition waiting for it must not settle (its position would pass records
      // never emitted).
      for (const origin of item.origins) origin.failed = true;
      return;
    }
    if (run.selected && !run.runningSent) {
      run.runningSent = true;
      await emitter.streamStatus(run.name, "RUNNING");
    }
    let outcome: PageOutcome;
    try {
      outcome = await fetchPage(env, item.def, item.slice, item.token, item.extra);
    } catch (error) {
      const connectorError =
        error instanceof ConnectorError ? error : systemError(`Reading ${run.name} failed: ${errorMessage(error)}`);
      fail(item, connectorError);
      await emitter.log("ERROR", `${run.name} (${describeSlice(item.slice)}): ${connectorError.message}`);
      return;
    }
    const feed = run.def.changeFeed;
    if (item.kind === "feed") return processFeedPage(item, outcome, feed!);
    if (item.kind === "lookup") return processLookup(item, outcome, feed!);
    if (outcome.kind === "ignored") {
      await emitter.log("WARN", `Skipped ${run.name} (${describeSlice(item.slice)}): ${outcome.reason}`);
      return;
    }
    if (outcome.kind === "reset") {
      if (item.resets >= 1) {
        fail(item, systemError(`Reading ${run.name} (${describeSlice(item.slice)}) failed twice in a row: ${outcome.reason}`));
        return;
      }
      await emitter.log("WARN", `Restarting ${run.name} (${describeSlice(item.slice)}) from its first page: ${outcome.reason}`);
      // Page numbers and tokens start over: this partition takes no more mid-way checkpoints.
      if (item.progress) item.progress.noResume = true;
      schedule({ ...item, token: undefined, tokens: new Set(), resets: item.resets + 1 });
      return;
    }
    const cursor = run.def.cursor;
    const progress = item.progress;
    // Below a partition read in full, every record counts as new: no client-side filter, and
    // nothing filters the fan-out.
    const fullRead = item.origins.some((o) => o.kind === "partition" && o.full);
    // A listing page of an incremental partition: what it fans out is awaited by its page mark.
    let mark: PageMark | undefined;
    if (progress && item.kind === "list" && !progress.noResume) {
      if (outcome.next !== undefined && typeof outcome.next !== "string") progress.noResume = true;
      else {
        mark = {
          kind: "page",
          progress,
          index: ++progress.pages,
          next: outcome.next,
          from: cursor!.format(progress.start),
          latest: undefined,
          outstanding: 0,
          sealed: false,
          failed: false,
        };
        progress.marks.push(mark);
      }
    }
    const fanOrigins = mark ? [...item.origins, mark] : item.origins;
    for (const record of outcome.records) {
      if (progress && cursor) {
        const value = cursor.parse(record[cursor.cursorField]);
        if (value && (!progress.latest || value > progress.latest)) progress.latest = value;
        if (cursor.clientSide && !fullRead && value && value < progress.start) continue;
        const key = primaryKeyOf(run.def, record);
        if (progress.feed && key !== undefined) progress.feed.listed.add(key);
      }
      if (!(await emitRecord(run, record))) continue;
      if (run.children.length) fanOut(run, record, item.slice, fanOrigins, fullRead ? undefined : progress?.start);
    }
    if (mark) {
      mark.latest = progress!.latest;
      mark.sealed = true;
      if (mark.outstanding === 0) await pageDone(mark);
    }
    if (outcome.next !== undefined) {
      const tokenKey = keyText(outcome.next);
      if (item.tokens.has(tokenKey)) {
        fail(
          item,
          systemError(
            `The API returned the same next-page token twice for ${run.name} (${describeSlice(item.slice)}); ` +
              "stopping this partition instead of looping",
            `repeated token: ${tokenKey}`,
          ),
        );
        return;
      }
      item.tokens.add(tokenKey);
      schedule({ ...item, token: outcome.next });
      return;
    }
    if (progress?.feed && feed) scheduleRereads(item, feed);
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (fatal) return;
      const item = queue.take();
      if (!item) {
        if (active === 0) {
          notify();
          return;
        }
        await new Promise<void>((resolve) => wake.push(resolve));
        continue;
      }
      active++;
      try {
        await process(item);
      } catch (error) {
        // Anything thrown after the fetch (a template in a filter, a write): the item's partitions
        // must not settle. Our own errors fail the stream; anything else is a bug and stops the sync.
        if (error instanceof ConnectorError) fail(item, error);
        else {
          const bug = systemError(`Reading ${item.run.name} failed: ${errorMessage(error)}`, error instanceof Error ? error.stack : undefined);
          fail(item, bug);
          fatal ??= bug;
        }
      } finally {
        active--;
        item.run.pending--;
        for (const origin of item.origins) {
          origin.outstanding--;
          if (origin.outstanding > 0) continue;
          if (origin.kind === "partition") await originDone(origin);
          else if (origin.sealed) await pageDone(origin);
        }
        await finish(item.run);
        notify();
      }
    }
  };

  // ---- run ----------------------------------------------------------------------------------

  for (const name of options.selected) await emitter.streamStatus(name, "STARTED");
  for (const run of runs.values()) {
    if (run.parents.length || run.def.partitions.kind === "substream") continue;
    const partitions = run.def.partitions;
    if (partitions.kind === "list") {
      for (const value of partitions.values) {
        const extra = emptyParts();
        partitions.requestOption?.inject(extra, value);
        schedulePartition(run, { [partitions.cursorField]: value }, extra, []);
      }
      if (!partitions.values.length) await finish(run);
    } else {
      schedulePartition(run, {}, emptyParts(), []);
    }
  }
  // A worker that throws (its output failed) stops the others before the error goes up.
  const guarded = async (): Promise<void> => {
    try {
      await worker();
    } catch (error) {
      fatal ??= error instanceof ConnectorError ? error : systemError(`The sync stopped: ${errorMessage(error)}`);
      notify();
      throw error;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, guarded));

  // Anything not finished (a fatal error stopped the sync) ends INCOMPLETE.
  for (const name of options.selected) {
    const run = runs.get(name)!;
    if (!run.done) {
      run.done = true;
      if (!run.runningSent) await emitter.streamStatus(name, "RUNNING");
      await emitter.streamStatus(name, "INCOMPLETE");
    }
  }
  const recordsByStream = new Map<string, number>();
  for (const name of options.selected) recordsByStream.set(name, runs.get(name)!.records);
  return { failures, recordsByStream };
}
