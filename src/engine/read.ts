/**
 * The read loop: wiring of the scheduler (scheduler.ts), the checkpoint tracker (checkpoints.ts)
 * and the change feed (feed-reader.ts) around one page at a time. Streams form a tree (parents
 * feed child partitions); every stream that is selected, or is an ancestor of one, is read
 * exactly once, and each of its pages serves both its own output and all its children:
 *
 *   root partitions → page (fetch.ts) → records → emit if selected → child partitions → page → ...
 *
 * - Records of a stream with a primary key are de-duplicated within the sync: a task listed under
 *   two projects is emitted once and fans out once.
 * - Child partitions are de-duplicated by their partition value (stories of a task reached as a
 *   task and as a subtask are read once).
 * - Incremental partitions start at their saved position (plan.ts) and settle as checkpoints.ts
 *   says: a sync killed at any point and resumed from its last STATE loses nothing.
 * - A failure fails its stream (its partitions never settle); a config_error or a bug stops the
 *   whole sync (errors.ts decides which is which).
 */
import { valueAt } from "../declarative/record-selector.js";
import type { ApiRecord } from "../declarative/record-selector.js";
import { type RequestParts, emptyParts } from "../declarative/request-option.js";
import type { DeclarativeSource } from "../declarative/source.js";
import { type ConnectorError, asFailure, configError, isFatal, systemError } from "../errors.js";
import type { SyncEmitter } from "../protocol/emitter.js";
import { CheckpointTracker } from "./checkpoints.js";
import { ConfigGates } from "./config-gates.js";
import { FeedReader } from "./feed-reader.js";
import type { ReadObserver } from "./observer.js";
import { type FetchEnvironment, type Slice, describeSlice, fetchPage, rateLimitedLine } from "./fetch.js";
import { type StreamRun, planRuns } from "./plan.js";
import { Scheduler } from "./scheduler.js";
import { type StateBlob, resumeOf } from "./state.js";
import { type FullRefreshPage, type FullRefreshPartition, type NewItem, type PageMark, type PartitionProgress, type Waiter, type WorkItem, keyText, newItem, primaryKeyOf } from "./work.js";

/** Why a partition is scheduled: the parent record's stream, the rows it expects, a feed's re-read. */
interface PartitionOrigin {
  parent?: StreamRun;
  /** Records the parent says the partition holds (progress estimates only). */
  expectedRows?: number;
  /** Read anew although a resumed sync's state lists the partition as completed (the change feed asked). */
  reread?: boolean;
}

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
  /** Told of the partitions and pages as they are discovered and read (progress, estimates). */
  observer?: ReadObserver;
}

export async function readStreams(options: ReadOptions): Promise<ReadResult> {
  return new ReadLoop(options).run();
}

class ReadLoop {
  private readonly emitter: SyncEmitter;
  private readonly env: FetchEnvironment;
  private readonly runs: Map<string, StreamRun>;
  private readonly scheduler = new Scheduler<WorkItem>((item) => item.run.depth);
  private readonly tracker: CheckpointTracker;
  private readonly feeds: FeedReader;
  private readonly gates: ConfigGates;
  /**
   * The columns a narrowed catalog selects, per stream: a record carries only those, also where the
   * manifest asks Asana for more (`always_include_properties`, a field a record filter reads).
   */
  private readonly columns = new Map<string, ReadonlySet<string>>();
  /** Work waiting for a gate (config-gates.ts) to open. */
  private held: WorkItem[] = [];
  private readonly failures: StreamFailure[] = [];
  private fatal: ConnectorError | undefined;

  constructor(private readonly options: ReadOptions) {
    this.emitter = options.emitter;
    // Stream statuses are for catalog streams only: a stream read just to feed its children
    // reports a rate limit as a log line.
    const selected = new Set(options.selected);
    this.env = {
      ...options.env,
      onRateLimited: (stream, resumeAt) =>
        selected.has(stream)
          ? this.emitter.rateLimited(stream, resumeAt)
          : this.emitter.log("INFO", rateLimitedLine(stream, resumeAt)),
    };
    this.runs = planRuns(options.source, {
      selected: options.selected,
      incremental: options.incremental ?? new Set(),
      states: options.states ?? new Map(),
    });
    for (const run of this.runs.values()) {
      const fields = run.selected ? options.fields?.get(run.name) : undefined;
      run.def.requester.selectFields(fields);
      // The primary key and the cursor are kept whatever the catalog says (Airbyte requires them).
      const keys = [...run.def.primaryKey.map((path) => path[0]!), ...(run.def.cursor ? [run.def.cursor.cursorField] : [])];
      if (fields) this.columns.set(run.name, new Set([...fields, ...keys]));
    }
    this.gates = new ConfigGates(this.runs.values(), this.env.config);
    this.tracker = new CheckpointTracker(this.emitter, options.checkpointIntervalMs ?? 1000, () => this.fatal !== undefined);
    this.feeds = new FeedReader(this.runs, this.emitter, this.env.config, {
      schedule: (item) => this.schedule(item),
      scheduleListing: (progress, slice, waiters) => this.scheduleListing(progress, slice, waiters),
      fanOut: (run, record, slice, waiters, since, only) => this.fanOut(run, record, slice, waiters, since, only),
      emitRecord: (run, record) => this.emitRecord(run, record),
    });
    options.observer?.planned(
      [...this.runs.values()].map((run) => ({
        name: run.name,
        // A recursive link makes the stream its own parent.
        parents: [...run.parents.map((p) => p.name), ...(run.children.some((edge) => edge.child === run) ? [run.name] : [])],
        selected: run.selected,
      })),
    );
  }

  async run(): Promise<ReadResult> {
    for (const name of this.options.selected) await this.emitter.streamStatus(name, "STARTED");
    await this.scheduleRoots();
    await this.scheduler.run(this.options.concurrency, (item) => this.runItem(item));
    // Anything not finished (a fatal error stopped the sync) ends INCOMPLETE.
    for (const name of this.options.selected) {
      const run = this.runs.get(name)!;
      if (run.done) continue;
      run.done = true;
      if (!run.runningSent) await this.emitter.streamStatus(name, "RUNNING");
      await this.emitter.streamStatus(name, "INCOMPLETE");
    }
    const recordsByStream = new Map(this.options.selected.map((name) => [name, this.runs.get(name)!.records] as const));
    return { failures: this.failures, recordsByStream };
  }

  // ---- scheduling ---------------------------------------------------------------------------

  private schedule(item: NewItem): void {
    const full = newItem(item);
    full.run.pending++;
    this.tracker.track(full.waiters);
    if (this.gates.holds(full.run)) this.held.push(full);
    else this.scheduler.push(full);
  }

  /** Gates whose stream is listed in full open (their held work goes ahead) or stop the sync. */
  private openGates(): void {
    const refused = this.gates.settle();
    if (refused) {
      this.failures.push(refused);
      this.stop(refused.error);
      return;
    }
    const held = this.held;
    this.held = [];
    for (const item of held) {
      if (this.gates.holds(item.run)) this.held.push(item);
      else this.scheduler.push(item);
    }
  }

  /** Streams without parents: one partition each, or one per listed value. */
  private async scheduleRoots(): Promise<void> {
    for (const run of this.runs.values()) {
      if (run.parents.length || run.def.partitions.kind === "substream") continue;
      const partitions = run.def.partitions;
      if (partitions.kind !== "list") {
        this.schedulePartition(run, {}, emptyParts(), []);
        continue;
      }
      for (const value of partitions.values) {
        const extra = emptyParts();
        partitions.requestOption?.inject(extra, value);
        this.schedulePartition(run, { [partitions.cursorField]: value }, extra, []);
      }
      if (!partitions.values.length) await this.tracker.finish(run);
    }
  }

  /** A new partition of `run`; incremental ones start at their saved position (feed first). */
  private schedulePartition(run: StreamRun, slice: Slice, extra: RequestParts, parentWaiters: Waiter[], origin: PartitionOrigin = {}): void {
    run.skips.partitions++;
    const partition = partitionOf(slice);
    // A resumed sync: a partition the interrupted one completed is not emitted again (nor read at
    // all, unless children need its records). A re-read the change feed asks for is read anew.
    const quiet = !origin.reread && (run.resumable?.isComplete(partition) ?? false);
    if (quiet && run.children.length === 0) return;
    this.options.observer?.partitionScheduled(run.name, origin.parent?.name, slice, origin.expectedRows);
    const fullRefresh = run.incremental ? undefined : run.resumable;
    // A resumable full-refresh partition is open until everything read because of it is emitted:
    // the stream finishes (its state says "no position") only then.
    if (fullRefresh && !quiet) run.openPartitions++;
    const waiters = fullRefresh && !quiet ? [...parentWaiters, { kind: "full" as const, run, partition, outstanding: 0, failed: false, pages: [] }] : parentWaiters;
    const cursor = run.def.cursor;
    if (!run.cursorState || !cursor) {
      // A full-refresh partition a previous sync left part-read continues from its next page.
      const token = quiet ? undefined : fullRefresh?.resumeToken(partition);
      this.schedule({ run, slice, extra, waiters, quiet, token });
      return;
    }
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
      feed: feed ? FeedReader.progress(feed) : undefined,
      saved,
      resumeFrom: resume,
      pages: 0,
      marks: [],
      noResume: !run.cursorState.perPartition,
      quiet,
    };
    run.openPartitions++;
    const withSelf = [...waiters, progress];
    if (feed) {
      this.schedule({ run, kind: "feed", def: feed.feed, slice, extra: emptyParts(), token: saved?.extra.sync, progress, waiters: withSelf, quiet });
    } else {
      this.scheduleListing(progress, slice, withSelf);
    }
  }

  private scheduleListing(progress: PartitionProgress, slice: Slice, waiters: Waiter[]): void {
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
    this.schedule({ run: progress.run, slice, extra, progress, waiters, token: resume?.token, quiet: progress.quiet });
  }

  /**
   * Partitions of `run`'s children for one of its records. In an incremental read (`since` is the
   * record's own partition position), links with incremental_dependency only follow records that
   * changed since then; the change feed re-reads the rest explicitly.
   */
  private fanOut(run: StreamRun, record: ApiRecord, slice: Slice, waiters: Waiter[], since?: Date, onlyStreams?: readonly string[]): void {
    const cursor = run.def.cursor;
    const value = since && cursor ? cursor.parse(record[cursor.cursorField]) : undefined;
    const unchanged = value !== undefined && since !== undefined && value < since;
    for (const { child, link } of run.children) {
      if (onlyStreams && !onlyStreams.includes(child.name)) continue;
      if (unchanged && link.incrementalDependency) continue;
      if (link.filter && !link.filter.keep(record, { config: this.env.config })) continue;
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
      const expectedRows = link.expectedRecords ? countAt(record, link.expectedRecords) : undefined;
      this.schedulePartition(child, childSlice, extra, waiters, { parent: run, expectedRows, reread: onlyStreams !== undefined });
    }
  }

  // ---- processing ---------------------------------------------------------------------------

  /**
   * One work item: fetch, process, and settle whatever waits for it, whatever happened. A failure
   * (from the fetch or after it) fails the item's stream, and its partitions never settle; the
   * failure policy (errors.ts) says whether it stops the sync too.
   */
  private async runItem(item: WorkItem): Promise<void> {
    try {
      await this.process(item);
    } catch (error) {
      const failure = asFailure(error, `Reading ${item.run.name} failed`);
      this.fail(item, failure);
      await this.emitter.log("ERROR", `${item.run.name} (${describeSlice(item.slice)}): ${failure.message}`);
    } finally {
      item.run.pending--;
      // Before anything settles: a gate that refuses the config stops the sync first, so no
      // stream below it is reported complete.
      this.openGates();
      await this.tracker.settle(item.waiters);
      await this.tracker.finish(item.run);
    }
  }

  private async process(item: WorkItem): Promise<void> {
    const { run } = item;
    if (run.failure || this.fatal) {
      // Not read: every partition waiting for it must not settle (its position would pass records
      // never emitted).
      for (const waiter of item.waiters) waiter.failed = true;
      return;
    }
    if (run.selected && !run.runningSent) {
      run.runningSent = true;
      await this.emitter.streamStatus(run.name, "RUNNING");
    }
    const outcome = await fetchPage(this.env, item.def, item.slice, item.token, item.extra);
    if (item.kind === "list" && outcome.kind === "page") this.gates.observe(run, outcome.extracted);
    const feed = run.def.changeFeed;
    if (item.kind === "feed") return this.feeds.page(item, outcome, feed!);
    if (item.kind === "lookup") return this.feeds.lookup(item, outcome, feed!);
    if (outcome.kind === "ignored") {
      this.options.observer?.pageRead(run.name, item.slice, 0, true);
      return this.skip(item, outcome.reason);
    }
    if (outcome.kind === "reset") return this.restart(item, outcome.reason);
    const kept = await this.processPage(item, outcome.records, outcome.next);
    this.options.observer?.pageRead(run.name, item.slice, kept, outcome.next === undefined);
    if (typeof outcome.next === "string" && item.run.resumable && item.run.children.length === 0 && !item.progress) {
      await this.tracker.fullRefreshPage(item.run, partitionOf(item.slice), outcome.next);
    }
    if (outcome.next !== undefined) return this.nextPage(item, outcome.next);
    if (item.progress?.feed && feed) this.feeds.scheduleRereads(item, feed);
  }

  /**
   * The error handler skips this partition. A stream without parents that is read whole is what
   * every other stream hangs from: skipping it would end the sync "successfully" with nothing,
   * so that is a config_error naming where the API is and whose credentials are used.
   */
  private async skip(item: WorkItem, reason: string): Promise<void> {
    const { run } = item;
    if (run.parents.length === 0 && run.def.partitions.kind === "single") {
      const base = run.def.requester.urlBaseConfigField();
      const where = base ? `the config's ${base}` : "the API's base URL";
      this.fail(
        item,
        configError(
          `Could not read ${run.name}, which every other stream reads from (${reason}): nothing would sync. ` +
            `Check ${where} and that the credentials may read ${run.name}.`,
        ),
      );
      return;
    }
    if (run.skips.add(reason)) await this.emitter.log("WARN", `Skipped ${run.name} (${describeSlice(item.slice)}): ${reason}`);
  }

  /** The partition's offset expired: once, it is read again from its first page. */
  private async restart(item: WorkItem, reason: string): Promise<void> {
    const what = `${item.run.name} (${describeSlice(item.slice)})`;
    if (item.resets >= 1) {
      this.fail(item, systemError(`Reading ${what} failed twice in a row: ${reason}`));
      return;
    }
    await this.emitter.log("WARN", `Restarting ${what} from its first page: ${reason}`);
    // Page numbers and tokens start over: this partition takes no more mid-way checkpoints.
    if (item.progress) item.progress.noResume = true;
    this.schedule({ ...item, token: undefined, tokens: new Set(), resets: item.resets + 1 });
  }

  /** The records of one listing page: emitted, cursor tracked, children scheduled. Returns how many were new. */
  private async processPage(item: WorkItem, records: ApiRecord[], next: unknown): Promise<number> {
    const { run, progress } = item;
    const cursor = run.def.cursor;
    // Below a partition read in full, every record counts as new: no client-side filter, and
    // nothing filters the fan-out.
    const fullRead = item.waiters.some((w) => w.kind === "partition" && w.full);
    // A listing page of an incremental partition: what it fans out is awaited by its page mark.
    const mark = this.pageMark(item, next) ?? this.fullRefreshPage(item, next);
    const waiters = mark ? [...item.waiters, mark] : item.waiters;
    let kept = 0;
    const emitted = item.quiet ? undefined : run.emitted;
    const listed = emitted?.listing(partitionOf(item.slice));
    for (const record of records) {
      const key = primaryKeyOf(run.def, record);
      if (progress && cursor) {
        const value = cursor.parse(record[cursor.cursorField]);
        if (value && (!progress.latest || value > progress.latest)) progress.latest = value;
        if (cursor.clientSide && !fullRead && value && value < progress.start) continue;
        if (progress.feed && key !== undefined) progress.feed.listed.add(key);
      }
      const fresh = await this.emitRecord(run, record, item.quiet || this.emittedBefore(run, record, key), key);
      // Listed in this partition even when another partition emitted it: it may be the record
      // at this partition's position, which a resumed sync reads again.
      if (listed && key !== undefined) listed(key, cursor ? String(record[cursor.cursorField] ?? "") : "");
      if (!fresh) continue;
      kept++;
      if (run.children.length) this.fanOut(run, record, item.slice, waiters, fullRead ? undefined : progress?.start);
    }
    if (emitted) await this.tracker.recordsEmitted(run);
    if (mark) await this.tracker.seal(mark);
    return kept;
  }

  /** The mark of a listing page of a resumable full-refresh partition with children, if this is one. */
  private fullRefreshPage(item: WorkItem, next: unknown): FullRefreshPage | undefined {
    if (item.kind !== "list" || item.quiet || item.progress || !item.run.children.length) return undefined;
    const owner = item.waiters.find((w): w is FullRefreshPartition => w.kind === "full" && w.run === item.run);
    if (!owner) return undefined;
    const page: FullRefreshPage = { kind: "full-page", owner, next: typeof next === "string" ? next : undefined, outstanding: 0, sealed: false, failed: false };
    owner.pages.push(page);
    return page;
  }

  /**
   * True for a record the interrupted sync this one resumes had emitted, in a partition it did
   * not complete, unless its cursor moved since (then it changed and is emitted again).
   */
  private emittedBefore(run: StreamRun, record: ApiRecord, key: string | undefined): boolean {
    const before = key !== undefined ? run.emitted?.emittedBefore(key) : undefined;
    if (before === undefined) return false;
    const cursor = run.def.cursor;
    if (!cursor || before === "") return true;
    const now = cursor.parse(record[cursor.cursorField]);
    const then = cursor.parse(before);
    return !(now && then && now > then);
  }

  /** The mark of an incremental listing page (undefined where mid-partition resume is off). */
  private pageMark(item: WorkItem, next: unknown): PageMark | undefined {
    const progress = item.progress;
    if (!progress || item.kind !== "list" || progress.noResume) return undefined;
    // A resume point is a string token; any other kind of token turns mid-partition resume off.
    if (next !== undefined && typeof next !== "string") {
      progress.noResume = true;
      return undefined;
    }
    const mark: PageMark = {
      kind: "page",
      progress,
      index: ++progress.pages,
      next,
      from: progress.run.def.cursor!.format(progress.start),
      latest: undefined,
      outstanding: 0,
      sealed: false,
      failed: false,
    };
    progress.marks.push(mark);
    return mark;
  }

  /** Schedules the next page, unless the API gave this token before (it would loop). */
  private nextPage(item: WorkItem, next: unknown): void {
    const tokenKey = keyText(next);
    if (item.tokens.has(tokenKey)) {
      const what = `${item.run.name} (${describeSlice(item.slice)})`;
      const message = `The API returned the same next-page token twice for ${what}; stopping this partition instead of looping`;
      this.fail(item, systemError(message, `repeated token: ${tokenKey}`));
      return;
    }
    item.tokens.add(tokenKey);
    this.schedule({ ...item, token: next });
  }

  /** Emits a record unless its key was seen (false then); a quiet one only counts as seen. */
  private async emitRecord(run: StreamRun, record: ApiRecord, quiet = false, key = primaryKeyOf(run.def, record)): Promise<boolean> {
    if (key !== undefined && !run.seen.add(key)) return false;
    if (run.selected && !quiet) {
      run.records++;
      await this.emitter.record(run.name, this.selectedColumns(run.name, record));
    }
    return true;
  }

  /** The record as the catalog selects it (the same object when the catalog keeps every column). */
  private selectedColumns(stream: string, record: ApiRecord): ApiRecord {
    const columns = this.columns.get(stream);
    if (!columns || Object.keys(record).every((k) => columns.has(k))) return record;
    return Object.fromEntries(Object.entries(record).filter(([k]) => columns.has(k)));
  }

  // ---- failures -----------------------------------------------------------------------------

  private fail(item: WorkItem, error: ConnectorError): void {
    const { run } = item;
    if (!run.failure) {
      run.failure = error;
      this.failures.push({ stream: run.name, error });
    }
    for (const waiter of item.waiters) waiter.failed = true;
    if (isFatal(error)) this.stop(error);
  }

  private stop(error: ConnectorError): void {
    this.fatal ??= error;
    this.scheduler.stop();
  }
}

/** A non-negative count at `path` of `record`, if there is one. */
function countAt(record: ApiRecord, path: string[]): number | undefined {
  const value = valueAt(record, path);
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** A slice without what the parent link adds for the request (`extra_fields`): the partition. */
function partitionOf(slice: Slice): Slice {
  const { extra_fields: _extraFields, ...partition } = slice;
  void _extraFields;
  return partition;
}
