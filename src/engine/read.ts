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
 * - A stream is complete when its own work is done and every parent is complete; then its STATE
 *   and COMPLETE status are emitted, after all its records.
 */
import type { ParentLink } from "../declarative/partition-router.js";
import type { Record_ } from "../declarative/record-selector.js";
import { valueAt } from "../declarative/record-selector.js";
import { type RequestParts, emptyParts } from "../declarative/request-option.js";
import type { DeclarativeSource } from "../declarative/source.js";
import type { StreamDefinition } from "../declarative/stream.js";
import { ConnectorError, errorMessage, systemError } from "../errors.js";
import type { SyncEmitter } from "../protocol/emitter.js";
import { type FetchEnvironment, type Slice, describeSlice, fetchPage } from "./fetch.js";
import { CursorState, type StateBlob } from "./state.js";
import { DepthQueue } from "./work-queue.js";

export interface StreamFailure {
  stream: string;
  error: ConnectorError;
}

export interface ReadResult {
  failures: StreamFailure[];
  recordsByStream: Map<string, number>;
}

interface ChildEdge {
  child: StreamRun;
  link: ParentLink;
}

class StreamRun {
  readonly parents: StreamRun[] = [];
  readonly children: ChildEdge[] = [];
  depth = 0;
  pending = 0;
  runningSent = false;
  done = false;
  failure: ConnectorError | undefined;
  /** Primary keys emitted so far (de-duplication). */
  readonly seen = new Set<string>();
  /** Partition values already scheduled (child de-duplication). */
  readonly partitions = new Set<string>();
  records = 0;
  /** Set when the stream is read incrementally in this sync. */
  cursorState: CursorState | undefined;
  lastCheckpoint = 0;

  constructor(
    readonly def: StreamDefinition,
    readonly selected: boolean,
  ) {}
}

interface WorkItem {
  run: StreamRun;
  slice: Slice;
  extra: RequestParts;
  token: unknown;
  /** Tokens already used in this partition: a repeat means the API would loop. */
  tokens: Set<string>;
  resets: number;
  /** Incremental streams: where this partition's read started and the newest cursor value seen. */
  progress: PartitionProgress | undefined;
}

interface PartitionProgress {
  partition: Slice;
  start: Date;
  latest: Date | undefined;
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

function primaryKeyOf(def: StreamDefinition, record: Record_): string | undefined {
  if (!def.primaryKey.length) return undefined;
  const parts = def.primaryKey.map((path) => valueAt(record, path));
  if (parts.some((p) => p === undefined || p === null)) return undefined;
  return parts.length === 1 ? String(parts[0]) : JSON.stringify(parts);
}

/** The runs for the selected streams and their ancestors, wired parent → child. */
function planRuns(source: DeclarativeSource, selected: string[]): Map<string, StreamRun> {
  const runs = new Map<string, StreamRun>();
  const selectedSet = new Set(selected);
  const ensure = (name: string, path: string[]): StreamRun => {
    const existing = runs.get(name);
    if (existing) return existing;
    const def = source.byName.get(name);
    if (!def) throw systemError(`Manifest: stream ${path[path.length - 1]} has parent ${name}, which does not exist`);
    const run = new StreamRun(def, selectedSet.has(name));
    runs.set(name, run);
    if (def.partitions.kind === "substream") {
      for (const link of def.partitions.parents) {
        if (link.parentName !== name && path.includes(link.parentName)) {
          throw systemError(`Manifest: streams form a cycle: ${[...path, name, link.parentName].join(" -> ")}`);
        }
        const parent = link.parentName === name ? run : ensure(link.parentName, [...path, name]);
        if (parent !== run && !run.parents.includes(parent)) run.parents.push(parent);
        parent.children.push({ child: run, link });
      }
    }
    return run;
  };
  for (const name of selected) ensure(name, []);
  const depthOf = (run: StreamRun): number =>
    run.parents.length ? 1 + Math.max(...run.parents.map(depthOf)) : 0;
  for (const run of runs.values()) run.depth = depthOf(run);
  return runs;
}

export async function readStreams(options: ReadOptions): Promise<ReadResult> {
  const { emitter, env } = options;
  const runs = planRuns(options.source, options.selected);
  for (const run of runs.values()) {
    run.def.requester.selectFields(run.selected ? options.fields?.get(run.def.name) : undefined);
    const cursor = run.def.cursor;
    if (run.selected && cursor && options.incremental?.has(run.def.name)) {
      run.cursorState = new CursorState(run.def.name, cursor, run.def.partitions.kind !== "single", options.states?.get(run.def.name));
    }
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

  type NewItem = Omit<WorkItem, "tokens" | "resets" | "progress"> & Partial<Pick<WorkItem, "tokens" | "resets" | "progress">>;
  const schedule = (item: NewItem): void => {
    item.run.pending++;
    queue.push(item.run.depth, { tokens: new Set(), resets: 0, progress: undefined, ...item });
    notify();
  };

  /** A new partition: incremental streams start it at their saved position. */
  const schedulePartition = (run: StreamRun, slice: Slice, extra: RequestParts): void => {
    let progress: PartitionProgress | undefined;
    const cursor = run.def.cursor;
    if (run.cursorState && cursor) {
      const { extra_fields: _extraFields, ...partition } = slice;
      void _extraFields;
      const start = run.cursorState.startFor(partition);
      cursor.startOption?.inject(extra, cursor.format(start));
      progress = { partition, start, latest: undefined };
    }
    schedule({ run, slice, extra, token: undefined, progress });
  };

  const checkpoint = async (run: StreamRun, force: boolean): Promise<void> => {
    if (!run.selected || !run.cursorState) return;
    const now = Date.now();
    if (!force && now - run.lastCheckpoint < checkpointInterval) return;
    run.lastCheckpoint = now;
    await emitter.state(run.def.name, run.cursorState.snapshot());
  };

  const partitionDone = async (item: WorkItem): Promise<void> => {
    const { run, progress } = item;
    if (!run.cursorState || !progress) return;
    run.cursorState.complete(progress.partition, progress.start, progress.latest);
    await checkpoint(run, false);
  };

  const fail = (run: StreamRun, error: ConnectorError): void => {
    if (!run.failure) {
      run.failure = error;
      failures.push({ stream: run.def.name, error });
    }
    if (error.failureType === "config_error") fatal ??= error;
  };

  const finish = async (run: StreamRun): Promise<void> => {
    if (run.done || run.pending > 0 || run.parents.some((p) => !p.done)) return;
    run.done = true;
    if (run.selected) {
      if (!run.runningSent) {
        run.runningSent = true;
        await emitter.streamStatus(run.def.name, "RUNNING");
      }
      const brokenParent = ancestors(run).find((a) => a.failure);
      if (run.failure || brokenParent || fatal) {
        await emitter.streamStatus(run.def.name, "INCOMPLETE");
      } else {
        if (run.cursorState) {
          run.cursorState.finish();
          await checkpoint(run, true);
        } else {
          await emitter.state(run.def.name, { __ab_no_cursor_state_message: true });
        }
        await emitter.streamStatus(run.def.name, "COMPLETE");
      }
    }
    for (const { child } of run.children) if (child !== run) await finish(child);
  };

  const fanOut = (run: StreamRun, record: Record_, slice: Slice): void => {
    for (const { child, link } of run.children) {
      if (link.filter && !link.filter.keep(record, { config: env.config })) continue;
      const value = valueAt(record, link.parentKey);
      if (value === undefined || value === null || value === "") continue;
      const key = `${link.partitionField}=${typeof value === "string" ? value : JSON.stringify(value)}`;
      if (child.partitions.has(key)) continue;
      child.partitions.add(key);
      const childSlice: Slice = { [link.partitionField]: value, parent_slice: slice };
      if (link.extraFields.length) {
        const extra: Record<string, unknown> = {};
        for (const path of link.extraFields) extra[path.join(".")] = valueAt(record, path);
        childSlice.extra_fields = extra;
      }
      const extra = emptyParts();
      link.requestOption?.inject(extra, value);
      schedulePartition(child, childSlice, extra);
    }
  };

  const process = async (item: WorkItem): Promise<void> => {
    const { run } = item;
    if (run.failure || fatal) return;
    if (run.selected && !run.runningSent) {
      run.runningSent = true;
      await emitter.streamStatus(run.def.name, "RUNNING");
    }
    let outcome;
    try {
      outcome = await fetchPage(env, run.def, item.slice, item.token, item.extra);
    } catch (error) {
      const connectorError =
        error instanceof ConnectorError ? error : systemError(`Reading ${run.def.name} failed: ${errorMessage(error)}`);
      fail(run, connectorError);
      await emitter.log("ERROR", `${run.def.name} (${describeSlice(item.slice)}): ${connectorError.message}`);
      return;
    }
    if (outcome.kind === "ignored") {
      await emitter.log("WARN", `Skipped ${run.def.name} (${describeSlice(item.slice)}): ${outcome.reason}`);
      await partitionDone(item);
      return;
    }
    if (outcome.kind === "reset") {
      if (item.resets >= 1) {
        fail(run, systemError(`Reading ${run.def.name} (${describeSlice(item.slice)}) failed twice in a row: ${outcome.reason}`));
        return;
      }
      await emitter.log("WARN", `Restarting ${run.def.name} (${describeSlice(item.slice)}) from its first page: ${outcome.reason}`);
      schedule({ run, slice: item.slice, extra: item.extra, token: undefined, resets: item.resets + 1, progress: item.progress });
      return;
    }
    const cursor = run.def.cursor;
    for (const record of outcome.records) {
      if (item.progress && cursor) {
        const value = cursor.parse(record[cursor.cursorField]);
        if (value && (!item.progress.latest || value > item.progress.latest)) item.progress.latest = value;
        if (cursor.clientSide && value && value < item.progress.start) continue;
      }
      const key = primaryKeyOf(run.def, record);
      if (key !== undefined) {
        if (run.seen.has(key)) continue;
        run.seen.add(key);
      }
      if (run.selected) {
        run.records++;
        await emitter.record(run.def.name, record);
      }
      if (run.children.length) fanOut(run, record, item.slice);
    }
    if (outcome.next !== undefined) {
      const tokenKey = typeof outcome.next === "string" ? outcome.next : JSON.stringify(outcome.next);
      if (item.tokens.has(tokenKey)) {
        fail(
          run,
          systemError(
            `The API returned the same next-page token twice for ${run.def.name} (${describeSlice(item.slice)}); ` +
              "stopping this partition instead of looping",
            `repeated token: ${tokenKey}`,
          ),
        );
        return;
      }
      item.tokens.add(tokenKey);
      schedule({
        run,
        slice: item.slice,
        extra: item.extra,
        token: outcome.next,
        tokens: item.tokens,
        resets: item.resets,
        progress: item.progress,
      });
      return;
    }
    await partitionDone(item);
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
      } finally {
        active--;
        item.run.pending--;
        await finish(item.run);
        notify();
      }
    }
  };

  for (const name of options.selected) await emitter.streamStatus(name, "STARTED");
  for (const run of runs.values()) {
    if (run.parents.length || run.def.partitions.kind === "substream") continue;
    const partitions = run.def.partitions;
    if (partitions.kind === "list") {
      for (const value of partitions.values) {
        const extra = emptyParts();
        partitions.requestOption?.inject(extra, value);
        schedulePartition(run, { [partitions.cursorField]: value }, extra);
      }
      if (!partitions.values.length) await finish(run);
    } else {
      schedulePartition(run, {}, emptyParts());
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));

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

function ancestors(run: StreamRun): StreamRun[] {
  const out: StreamRun[] = [];
  const visit = (r: StreamRun): void => {
    for (const p of r.parents) {
      if (!out.includes(p)) {
        out.push(p);
        visit(p);
      }
    }
  };
  visit(run);
  return out;
}
