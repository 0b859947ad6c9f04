/**
 * What a sync reads: the selected streams and their ancestors wired parent → child, and for each
 * stream whether it is read from saved positions (incremental) or from the start.
 *
 * A stream with a cursor is read incrementally when every selected stream that depends on it
 * (itself included) is incremental; one full-refresh consumer means a full read (positions are
 * still tracked for the incremental consumers). Its positions
 * come from its own state and from the `parent_state` its incremental descendants saved; per
 * partition the oldest position wins, so every consumer gets everything it has not seen.
 */
import { EmittedKeys } from "./emitted-keys.js";
import { FullRefreshResume } from "./full-refresh.js";
import { KeySet } from "./key-set.js";
import { SkipTally } from "./skips.js";
import type { ParentLink } from "../declarative/partition-router.js";
import type { DeclarativeSource } from "../declarative/source.js";
import type { StreamDefinition } from "../declarative/stream.js";
import { type ConnectorError, systemError } from "../errors.js";
import { isNode } from "../declarative/node.js";
import { CursorState, type StateBlob } from "./state.js";

export interface ChildEdge {
  child: StreamRun;
  link: ParentLink;
}

export class StreamRun {
  readonly parents: StreamRun[] = [];
  readonly children: ChildEdge[] = [];
  depth = 0;
  /** Work items queued or in flight. */
  pending = 0;
  runningSent = false;
  done = false;
  failure: ConnectorError | undefined;
  /** Primary keys emitted (or tombstoned) so far: de-duplication. */
  readonly seen = new KeySet();
  /** Partition values already scheduled, by partition field: child de-duplication. */
  private readonly scheduled = new Map<string, KeySet>();
  records = 0;
  /** Its partitions, and those the error handler skipped. */
  readonly skips = new SkipTally();
  /**
   * Which partitions are complete in this sync or the interrupted one it resumes: set for a
   * selected, partitioned full-refresh stream, and for a selected incremental child stream whose
   * cursor is global (its one position cannot say which partitions a killed sync finished).
   */
  resumable: FullRefreshResume | undefined;
  /** Set for a selected stream with children: its records emitted in partitions still open. */
  emitted: EmittedKeys | undefined;
  /** Set when this stream's partitions start from saved positions. */
  cursorState: CursorState | undefined;
  /** Incremental partitions whose position is not settled yet (they wait for their descendants). */
  openPartitions = 0;
  lastCheckpoint = 0;

  constructor(
    readonly def: StreamDefinition,
    readonly selected: boolean,
    /** Selected in incremental mode. */
    readonly incremental: boolean,
  ) {}

  get name(): string {
    return this.def.name;
  }

  /** Notes a partition as scheduled; false when it already was. */
  schedulePartitionOnce(field: string, value: string): boolean {
    let keys = this.scheduled.get(field);
    if (!keys) this.scheduled.set(field, (keys = new KeySet()));
    return keys.add(value);
  }

  ancestors(): StreamRun[] {
    const out: StreamRun[] = [];
    const visit = (r: StreamRun): void => {
      for (const p of r.parents) {
        if (!out.includes(p)) {
          out.push(p);
          visit(p);
        }
      }
    };
    visit(this);
    return out;
  }

  descendants(): StreamRun[] {
    const out: StreamRun[] = [];
    const visit = (r: StreamRun): void => {
      for (const { child } of r.children) {
        if (child !== r && !out.includes(child)) {
          out.push(child);
          visit(child);
        }
      }
    };
    visit(this);
    return out;
  }
}

export interface PlanOptions {
  selected: string[];
  incremental: ReadonlySet<string>;
  states: ReadonlyMap<string, StateBlob>;
}

export function planRuns(source: DeclarativeSource, options: PlanOptions): Map<string, StreamRun> {
  const runs = new Map<string, StreamRun>();
  const selected = new Set(options.selected);
  const ensure = (name: string, path: string[]): StreamRun => {
    const existing = runs.get(name);
    if (existing) return existing;
    const def = source.byName.get(name);
    if (!def) throw systemError(`Manifest: stream ${path[path.length - 1]} has parent ${name}, which does not exist`);
    const run = new StreamRun(def, selected.has(name), selected.has(name) && options.incremental.has(name));
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
  for (const name of options.selected) ensure(name, []);
  const depthOf = (run: StreamRun): number => (run.parents.length ? 1 + Math.max(...run.parents.map(depthOf)) : 0);
  for (const run of runs.values()) run.depth = depthOf(run);
  for (const run of runs.values()) run.cursorState = cursorStateFor(run, options.states);
  for (const run of runs.values()) {
    if (!run.selected || run.def.partitions.kind === "single") continue;
    const saved = options.states.get(run.name);
    if (run.children.length) run.emitted = new EmittedKeys(saved);
    if (!run.incremental) run.resumable = new FullRefreshResume(saved);
    else if (run.parents.length && run.cursorState && !run.cursorState.perPartition) run.resumable = FullRefreshResume.ofIncremental(saved);
  }
  return runs;
}

function cursorStateFor(run: StreamRun, states: ReadonlyMap<string, StateBlob>): CursorState | undefined {
  const cursor = run.def.cursor;
  if (!cursor) return undefined;
  const consumers = [run, ...run.descendants()].filter((r) => r.selected);
  if (!consumers.some((r) => r.incremental)) return undefined;
  const partitioned = run.def.partitions.kind !== "single";
  // A full-refresh consumer needs everything: read from the start, but keep positions for the rest.
  if (consumers.some((r) => !r.incremental)) return new CursorState(run.name, cursor, partitioned, undefined);
  // Each consumer's view of this stream's positions: its own state, or the parent_state it kept.
  const inputs = consumers.map((c) => {
    const blob = states.get(c.name);
    if (c === run) return blob;
    const parentState = blob && isNode(blob.parent_state) ? blob.parent_state[run.name] : undefined;
    return isNode(parentState) ? parentState : undefined;
  });
  return CursorState.oldestOf(run.name, cursor, partitioned, inputs);
}
