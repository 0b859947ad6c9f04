/**
 * Sync state: reading the state file (Airbyte's array form, GLOBAL, the STATE messages a sync
 * printed, or the legacy object form)
 * and the per-stream cursor state of incremental streams, in the CDK's shapes
 * (Airbyte's per-stream state messages, https://docs.airbyte.com/understanding-airbyte/airbyte-protocol#state--checkpointing) so states move between this runtime and Airbyte's:
 *   - a stream without partitions: `{ "<cursor_field>": "<datetime>" }`
 *   - per partition: `{ "use_global_cursor": false, "states": [{ "partition": {...}, "cursor":
 *     { "<cursor_field>": "<datetime>" } }], "state": { "<cursor_field>": "<latest>" } }`
 */
import type { DatetimeCursor } from "../declarative/cursor.js";
import { isNode } from "../declarative/node.js";
import { configError } from "../errors.js";

export type StateBlob = Record<string, unknown>;

/** What a state file may hold, for the message when it holds none of it. */
export const STATE_SHAPES =
  'a JSON array of Airbyte state messages ([{"type": "STREAM", "stream": {"stream_descriptor": {...}, "stream_state": {...}}}], ' +
  'or GLOBAL/LEGACY ones), the messages a sync printed (its {"type": "STATE", "state": {...}} lines, as JSON lines or a JSON array; ' +
  'other lines are skipped), or the legacy object {"<stream>": {...}}';

/** AirbyteMessage types other than STATE: lines of a sync's output that hold no state. */
const OTHER_MESSAGES: ReadonlySet<unknown> = new Set(["RECORD", "LOG", "TRACE", "SPEC", "CATALOG", "CONNECTION_STATUS", "CONTROL"]);

/**
 * The state file's per-stream blobs. A later state of a stream replaces an earlier one (the last
 * STATE a sync printed for a stream is where it stands), and a null state resets the stream.
 */
export function parseStateInput(raw: unknown, file: string): Map<string, StateBlob> {
  const states = new Map<string, StateBlob>();
  const put = (name: unknown, blob: unknown, where: string): void => {
    if (typeof name !== "string" || !name) throw configError(`The state file ${file}: ${where} has no stream name`);
    if (blob === null || blob === undefined) {
      states.delete(name); // null means "reset this stream"
      return;
    }
    if (!isNode(blob)) throw configError(`The state file ${file}: the state of stream ${name} must be an object`);
    states.set(name, blob);
  };
  const streamState = (entry: unknown, where: string): void => {
    if (!isNode(entry) || !isNode(entry.stream_descriptor)) {
      throw configError(`The state file ${file}: ${where} must have a stream_descriptor`);
    }
    put(entry.stream_descriptor.name, entry.stream_state, where);
  };
  const stateMessage = (message: unknown, where: string): void => {
    if (!isNode(message)) throw configError(`The state file ${file}: ${where} is not an object; it must hold ${STATE_SHAPES}`);
    let entry = message;
    if (entry.type === "STATE") {
      if (!isNode(entry.state)) throw configError(`The state file ${file}: ${where} is a STATE message without a "state" object`);
      entry = entry.state;
    } else if (OTHER_MESSAGES.has(entry.type)) {
      return;
    }
    if (isNode(entry.stream) && (entry.type === undefined || entry.type === "STREAM")) streamState(entry.stream, where);
    else if (isNode(entry.global) && Array.isArray(entry.global.stream_states)) {
      entry.global.stream_states.forEach((s, j) => streamState(s, `${where}.global.stream_states[${j}]`));
    } else if (isNode(entry.data)) {
      for (const [name, blob] of Object.entries(entry.data)) put(name, blob, `${where}.data`);
    } else {
      throw configError(
        `The state file ${file}: ${where} is not an Airbyte state message (it needs "stream", "global" or "data"); the file must hold ${STATE_SHAPES}`,
      );
    }
  };
  if (raw === null || raw === undefined) return states;
  if (Array.isArray(raw)) {
    raw.forEach((entry, i) => stateMessage(entry, `entry ${i}`));
    return states;
  }
  if (!isNode(raw)) throw configError(`The state file ${file} must hold ${STATE_SHAPES}`);
  // A single state message (or AirbyteMessage), or the legacy object form { "<stream>": <state> }.
  if (raw.type === "STATE" || (isNode(raw.stream) && isNode(raw.stream.stream_descriptor))) {
    stateMessage(raw, "the state message");
    return states;
  }
  for (const [name, blob] of Object.entries(raw)) put(name, blob, `stream ${name}`);
  return states;
}

/** A cursor value beyond now + a day: a state from a clock gone wrong, or hand-edited. */
const FUTURE_SLACK_MS = 24 * 60 * 60 * 1000;

/**
 * A warning when a stream's state has its cursor in the future (beyond now + a day): the sync
 * succeeds, but reads nothing of the stream until then. Undefined otherwise, and for a state the
 * cursor cannot read (CursorState reports that).
 */
export function futureCursorWarning(stream: string, cursor: DatetimeCursor, blob: StateBlob, now: Date): string | undefined {
  const field = cursor.cursorField;
  const values: unknown[] = [blob[field], isNode(blob.state) ? blob.state[field] : undefined];
  if (Array.isArray(blob.states)) for (const s of blob.states) if (isNode(s) && isNode(s.cursor)) values.push(s.cursor[field]);
  let latest: Date | undefined;
  for (const value of values) {
    const date = value === undefined ? undefined : cursor.parse(value);
    if (date && (!latest || date > latest)) latest = date;
  }
  if (!latest || latest.getTime() <= now.getTime() + FUTURE_SLACK_MS) return undefined;
  const at = cursor.format(latest);
  return `The state of stream ${stream} has its cursor ${field} at ${at}, in the future: nothing will sync before ${at}`;
}

/** A stable key for a partition (key order does not matter): its JSON with the keys sorted. */
export function partitionKey(partition: Record<string, unknown>): string {
  return sortedJson(partition) ?? "null";
}

/**
 * JSON.stringify with every object's keys in sorted order, written directly (no sorted copy):
 * undefined for what JSON leaves out (undefined, functions), as JSON.stringify gives.
 */
function sortedJson(value: unknown): string | undefined {
  if (Array.isArray(value)) return `[${value.map((item) => sortedJson(item) ?? "null").join(",")}]`;
  if (!isNode(value)) return JSON.stringify(value) as string | undefined;
  const members: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const json = sortedJson(value[key]);
    if (json !== undefined) members.push(`${JSON.stringify(key)}:${json}`);
  }
  return `{${members.join(",")}}`;
}

/** Where a partition stands: its cursor, and extra values kept with it (a change feed's token). */
export interface Position {
  partition: Record<string, unknown>;
  at: Date;
  extra: Record<string, string>;
}

/**
 * A partition read part of the way (a mid-partition checkpoint): its first `pages` pages and
 * everything read because of them are emitted; `token` is the next page's token, valid for a
 * listing from `from`. Kept in the position's extra values under `resume_*` keys.
 */
export interface Resume {
  token: string;
  pages: number;
  /** The formatted start of the listing that handed out `token`. */
  from: string;
  /** The partition was being read in full (never read before, or its feed said so). */
  full: boolean;
  /** The newest cursor value seen in those pages (formatted), if any. */
  latest: string | undefined;
}

const RESUME_KEYS = ["resume_token", "resume_pages", "resume_from", "resume_full", "resume_latest"] as const;

export function resumeOf(position: Position | undefined): Resume | undefined {
  const e = position?.extra;
  if (!e || e.resume_token === undefined || e.resume_from === undefined) return undefined;
  const pages = Number(e.resume_pages);
  if (!Number.isInteger(pages) || pages < 1) return undefined;
  return { token: e.resume_token, pages, from: e.resume_from, full: e.resume_full === "true", latest: e.resume_latest };
}

/** Older first: an earlier cursor; at the same cursor, fewer pages read (a settled position counts as all). */
function olderPosition(a: Position, b: Position): Position {
  if (a.at.getTime() !== b.at.getTime()) return a.at < b.at ? a : b;
  const pages = (p: Position): number => resumeOf(p)?.pages ?? Infinity;
  return pages(b) < pages(a) ? b : a;
}

/** The cursor positions of one incremental stream during a sync. */
export class CursorState {
  private readonly positions = new Map<string, Position>();
  /** The newest position of any partition (per-partition mode), or the one position (global mode). */
  private global: Date | undefined;
  /** Global mode: the newest value seen this sync, adopted only when every partition is read. */
  private pendingGlobal: Date | undefined;
  /** The state said use_global_cursor: every partition starts at the global position. */
  private useGlobal = false;

  constructor(
    private readonly stream: string,
    private readonly cursor: DatetimeCursor,
    private readonly partitioned: boolean,
    input: StateBlob | undefined,
  ) {
    if (input) this.load(input);
  }

  private parseValue(value: unknown, where: string): Date {
    const date = this.cursor.parse(value);
    if (!date) {
      throw configError(`The state of stream ${this.stream} is malformed: ${where} is ${JSON.stringify(value)}, not a date-time`);
    }
    return date;
  }

  private load(input: StateBlob): void {
    const field = this.cursor.cursorField;
    if (Array.isArray(input.states)) {
      input.states.forEach((entry, i) => {
        if (!isNode(entry) || !isNode(entry.partition) || !isNode(entry.cursor)) {
          throw configError(`The state of stream ${this.stream} is malformed: states[${i}] needs "partition" and "cursor" objects`);
        }
        const extra: Record<string, string> = {};
        for (const [k, v] of Object.entries(entry.cursor)) if (k !== field && typeof v === "string") extra[k] = v;
        this.positions.set(partitionKey(entry.partition), {
          partition: entry.partition,
          at: this.parseValue(entry.cursor[field], `states[${i}].cursor.${field}`),
          extra,
        });
      });
      if (isNode(input.state) && input.state[field] !== undefined) this.global = this.parseValue(input.state[field], `state.${field}`);
      if (input.use_global_cursor === true && !this.global) {
        throw configError(`The state of stream ${this.stream} is malformed: use_global_cursor is set without a state.${field}`);
      }
      this.useGlobal = input.use_global_cursor === true;
      return;
    }
    if (input[field] !== undefined) {
      this.global = this.parseValue(input[field], field);
      return;
    }
    if (input.__ab_no_cursor_state_message === true || input.__ab_full_refresh_sync_complete === true) return;
    throw configError(
      `The state of stream ${this.stream} is malformed: expected "${field}" or a per-partition "states" list`,
    );
  }

  /**
   * The positions several consumers agree on: per partition the oldest one; a partition (or a
   * whole state) a consumer lacks starts from the beginning.
   */
  static oldestOf(
    stream: string,
    cursor: DatetimeCursor,
    partitioned: boolean,
    inputs: Array<StateBlob | undefined>,
  ): CursorState {
    const states = inputs.map((input) => new CursorState(stream, cursor, partitioned, input));
    const [first, ...rest] = states;
    const merged = new CursorState(stream, cursor, partitioned, undefined);
    if (!first || inputs.some((i) => i === undefined)) return merged;
    const oldest = (a: Date | undefined, b: Date | undefined): Date | undefined => (!a || !b ? undefined : a < b ? a : b);
    merged.global = rest.reduce((g, s) => oldest(g, s.global), first.global);
    merged.useGlobal = states.every((s) => s.useGlobal);
    for (const [key, position] of first.positions) {
      let chosen: Position | undefined = position;
      for (const other of rest) {
        const theirs = other.positions.get(key);
        if (!theirs) {
          chosen = undefined;
          break;
        }
        chosen = olderPosition(chosen, theirs);
      }
      if (chosen) merged.positions.set(key, chosen);
    }
    return merged;
  }

  /** Where a partition's read starts: its saved position, else the global one, else the start. */
  startFor(partition: Record<string, unknown>): Date {
    const saved = this.positionOf(partition)?.at;
    return saved ? new Date(saved.getTime() + this.cursor.granularityMs) : this.cursor.start;
  }

  /** The saved position of a partition (undefined: never read). */
  positionOf(partition: Record<string, unknown>): Position | undefined {
    if (!this.partitioned || this.cursor.globalCursor || this.useGlobal) {
      return this.global ? { partition, at: this.global, extra: {} } : undefined;
    }
    return this.positions.get(partitionKey(partition));
  }

  /** Positions are kept per partition (not one global cursor): partitions can be resumed mid-way. */
  get perPartition(): boolean {
    return this.partitioned && !this.cursor.globalCursor && !this.useGlobal;
  }

  /**
   * A partition read part of the way: it keeps its saved position (`saved`, or the cursor's start
   * when it had none) and its extra values, plus where to resume.
   */
  inProgress(partition: Record<string, unknown>, saved: Position | undefined, resume: Resume): void {
    if (!this.perPartition) return;
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(saved?.extra ?? {})) if (!(RESUME_KEYS as readonly string[]).includes(k)) extra[k] = v;
    extra.resume_token = resume.token;
    extra.resume_pages = String(resume.pages);
    extra.resume_from = resume.from;
    if (resume.full) extra.resume_full = "true";
    if (resume.latest !== undefined) extra.resume_latest = resume.latest;
    this.positions.set(partitionKey(partition), { partition, at: saved?.at ?? this.cursor.start, extra });
  }

  /** A partition was read completely; `latest` is the newest cursor value seen (if any). */
  complete(partition: Record<string, unknown>, start: Date, latest: Date | undefined, extra: Record<string, string> = {}): void {
    // A partition with no newer record stays where it was (start minus the granularity added to it).
    const at = latest && latest > start ? latest : new Date(start.getTime() - (start > this.cursor.start ? this.cursor.granularityMs : 0));
    if (!this.partitioned || this.cursor.globalCursor) {
      if (!this.pendingGlobal || at > this.pendingGlobal) this.pendingGlobal = at;
      return;
    }
    this.positions.set(partitionKey(partition), { partition, at, extra });
    if (!this.global || at > this.global) this.global = at;
  }

  /** Every partition of the stream was read: a global cursor may move forward. */
  finish(): void {
    if (this.pendingGlobal && (!this.global || this.pendingGlobal > this.global)) this.global = this.pendingGlobal;
  }

  snapshot(): StateBlob {
    const field = this.cursor.cursorField;
    const value = (d: Date | undefined): Record<string, string> => (d ? { [field]: this.cursor.format(d) } : {});
    if (!this.partitioned || this.cursor.globalCursor) return value(this.global ?? this.cursor.start);
    return {
      use_global_cursor: false,
      states: [...this.positions.values()].map((p) => ({ partition: p.partition, cursor: { ...value(p.at), ...p.extra } })),
      ...(this.global ? { state: value(this.global) } : {}),
    };
  }
}
