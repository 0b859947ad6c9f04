/**
 * Singer messages (singer-io/getting-started SPEC.md v0.3.0, plus the ACTIVATE_VERSION extension)
 * and their writer. The engine's SyncEmitter calls map as follows:
 *   record      → SCHEMA (once, if not sent yet), ACTIVATE_VERSION (full-table streams, once at the
 *                 start), RECORD with time_extracted (and version for full-table streams);
 *   state       → STATE {"bookmarks": {...every stream's latest blob...}} (the last one wins);
 *   streamStatus→ STARTED sends the stream's SCHEMA; COMPLETE ends a full-table stream with its
 *                 ACTIVATE_VERSION; every status is also a log line (Singer has no such message);
 *   rateLimited → a log line (once per pause; parents read only to feed children count too);
 *   log, connectorError → a log line on stderr (Singer has no log or error message).
 */
import { type ConnectorError, configError, systemError } from "../errors.js";
import type { LogLevel, StreamStatus, SyncEmitter } from "./emitter.js";
import type { LogLines } from "./log-lines.js";
import type { LineOutput } from "./output.js";
import type { SingerStreamPlan } from "./singer-catalog.js";

export interface SchemaMessage {
  type: "SCHEMA";
  stream: string;
  schema: Record<string, unknown>;
  key_properties: string[];
  bookmark_properties?: string[];
}

export interface RecordMessage {
  type: "RECORD";
  stream: string;
  record: Record<string, unknown>;
  version?: number;
  time_extracted: string;
}

export interface StateMessage {
  type: "STATE";
  value: { bookmarks: Record<string, Record<string, unknown>> };
}

export interface ActivateVersionMessage {
  type: "ACTIVATE_VERSION";
  stream: string;
  version: number;
}

export type SingerMessage = SchemaMessage | RecordMessage | StateMessage | ActivateVersionMessage;

/**
 * Per-stream blobs of a `--state` file: `{"bookmarks": {stream: {...}}}`, or `{}`. The blobs are
 * the engine's own per-stream states (the same as Airbyte's stream_state); a null one resets its
 * stream. Other top-level keys (e.g. `currently_syncing`) are ignored.
 */
export function parseBookmarks(document: unknown, file: string): Map<string, Record<string, unknown>> {
  const bookmarks = new Map<string, Record<string, unknown>>();
  if (document === null) return bookmarks;
  if (typeof document !== "object" || Array.isArray(document)) {
    throw configError(`The state file ${file} must hold a JSON object such as {"bookmarks": {...}} (the value of the last STATE message)`);
  }
  const raw = (document as Record<string, unknown>).bookmarks;
  if (raw === undefined || raw === null) return bookmarks;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw configError(`The state file ${file}: "bookmarks" must be an object with one entry per stream`);
  }
  for (const [stream, blob] of Object.entries(raw)) {
    if (blob === null) continue; // null resets the stream, as in Airbyte state files
    if (typeof blob !== "object" || Array.isArray(blob)) {
      throw configError(`The state file ${file}: the bookmark of stream ${stream} must be an object`);
    }
    bookmarks.set(stream, blob as Record<string, unknown>);
  }
  return bookmarks;
}

interface StreamProgress {
  plan: SingerStreamPlan;
  excluded: Set<string>;
  schemaSent: boolean;
  activated: boolean;
}

export interface SingerWriterOptions {
  /** Bookmarks carried over from the input state; streams not synced now keep theirs. */
  bookmarks?: Map<string, Record<string, unknown>>;
  /** The ACTIVATE_VERSION version of full-table streams (default: now, epoch ms). */
  version?: number;
}

/** Writes Singer messages, one per line, on `out`; logs go to `logs` (stderr). */
export class SingerWriter implements SyncEmitter {
  private readonly streams = new Map<string, StreamProgress>();
  private readonly bookmarks: Record<string, Record<string, unknown>> = {};
  /** Streams (selected or read only as parents) paused by a rate limit, until when. */
  private readonly pausedUntil = new Map<string, number>();
  /** The last time_extracted made, and the millisecond it is for. */
  private extractedAt = { ms: -1, iso: "" };
  readonly version: number;

  constructor(
    private readonly out: LineOutput,
    private readonly logs: LogLines,
    options: SingerWriterOptions = {},
  ) {
    this.version = options.version ?? Date.now();
    for (const [stream, blob] of options.bookmarks ?? []) this.bookmarks[stream] = blob;
  }

  /** The streams of this sync, as planned from the catalog. Records of other streams are an error. */
  setStreams(plans: SingerStreamPlan[]): void {
    for (const plan of plans) {
      this.streams.set(plan.stream, { plan, excluded: new Set(plan.excluded), schemaSent: false, activated: false });
    }
  }

  private progress(stream: string): StreamProgress {
    const progress = this.streams.get(stream);
    if (!progress) throw systemError(`The engine emitted stream ${stream}, which the catalog did not select`);
    return progress;
  }

  private async sendSchema(progress: StreamProgress): Promise<void> {
    if (progress.schemaSent) return;
    progress.schemaSent = true;
    const { plan } = progress;
    const message: SchemaMessage = {
      type: "SCHEMA",
      stream: plan.stream,
      schema: singerSchema(plan.schema),
      key_properties: plan.keyProperties,
      ...(plan.bookmarkProperties ? { bookmark_properties: plan.bookmarkProperties } : {}),
    };
    await this.out.writeJson(message);
  }

  private async activateVersion(stream: string): Promise<void> {
    const message: ActivateVersionMessage = { type: "ACTIVATE_VERSION", stream, version: this.version };
    await this.out.writeJson(message);
  }

  async record(stream: string, data: Record<string, unknown>): Promise<void> {
    // Tombstones carry Singer's deletion marker instead of Airbyte's (see singerSchema).
    const progress = this.progress(stream);
    await this.sendSchema(progress);
    const fullTable = progress.plan.replicationMethod === "FULL_TABLE";
    if (fullTable && !progress.activated) {
      progress.activated = true;
      await this.activateVersion(stream);
    }
    let record = data;
    if (progress.excluded.size || DELETED_AT_AIRBYTE in data) {
      record = {};
      for (const [key, value] of Object.entries(data)) {
        if (!progress.excluded.has(key)) record[key === DELETED_AT_AIRBYTE ? DELETED_AT_SINGER : key] = value;
      }
    }
    const message: RecordMessage = {
      type: "RECORD",
      stream,
      record,
      ...(fullTable ? { version: this.version } : {}),
      time_extracted: this.timeExtracted(),
    };
    await this.out.writeJson(message);
  }

  /** The current time in ISO-8601, made once per millisecond (many records are extracted in one). */
  private timeExtracted(): string {
    const now = Date.now();
    if (now !== this.extractedAt.ms) this.extractedAt = { ms: now, iso: new Date(now).toISOString() };
    return this.extractedAt.iso;
  }

  async state(stream: string, streamState: Record<string, unknown>): Promise<void> {
    this.bookmarks[stream] = streamState;
    const message: StateMessage = { type: "STATE", value: { bookmarks: { ...this.bookmarks } } };
    await this.out.writeJson(message);
  }

  async streamStatus(stream: string, status: StreamStatus): Promise<void> {
    const progress = this.progress(stream);
    if (status === "STARTED") await this.sendSchema(progress);
    if (status === "COMPLETE" && progress.plan.replicationMethod === "FULL_TABLE") {
      await this.sendSchema(progress);
      progress.activated = true;
      await this.activateVersion(stream);
    }
    await this.logs.log(status === "INCOMPLETE" ? "WARN" : "INFO", `Stream ${stream}: ${status}`);
  }

  /** Logged once per pause: the workers of a stream that hit the same 429 wait say nothing new. */
  async rateLimited(stream: string, quotaReset: number): Promise<void> {
    const previous = this.pausedUntil.get(stream);
    if (previous !== undefined && previous >= Date.now()) return;
    this.pausedUntil.set(stream, quotaReset);
    await this.logs.log("INFO", `Stream ${stream}: rate limited by the API, waiting until ${new Date(quotaReset).toISOString()}`);
  }

  async log(level: LogLevel, message: string): Promise<void> {
    await this.logs.log(level, message);
  }

  /** Singer has no error message: a failure is a log line on stderr, with its failure type. */
  async connectorError(error: ConnectorError, stream?: string): Promise<void> {
    await this.logs.connectorError(error, stream);
  }
}

/**
 * Deleted records: the engine marks tombstones the Airbyte way (`_ab_cdc_deleted_at`); Singer
 * targets that hard-delete look for `_sdc_deleted_at`, so Singer mode renames the field.
 */
const DELETED_AT_AIRBYTE = "_ab_cdc_deleted_at";
const DELETED_AT_SINGER = "_sdc_deleted_at";

function singerSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown> | undefined;
  if (!properties || !(DELETED_AT_AIRBYTE in properties)) return schema;
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) renamed[key === DELETED_AT_AIRBYTE ? DELETED_AT_SINGER : key] = value;
  return { ...schema, properties: renamed };
}
