/**
 * DatetimeBasedCursor, the incremental cursor of a stream: which record field is the cursor, how
 * datetimes are written, where the sync starts, and where the start is injected into requests.
 * This runtime reads one slice per partition: from the partition's saved cursor (or the start) up
 * to now. So the keys that make time windows or an end (`end_datetime`, `end_time_option`,
 * `lookback_window`, ...) are rejected, not ignored; a `step` is accepted only when it covers the
 * whole range from the configured start to now (one window: Airbyte's runtime wants a step beside
 * `cursor_granularity`), and a shorter one is rejected.
 */
import { configError, systemError } from "../errors.js";
import { interpolateString, strftime } from "../manifest/interpolation.js";
import { durationSeconds } from "./duration.js";
import type { DatetimeBasedCursor } from "../manifest/components.generated.js";
import {
  type Config,
  type Registry,
  asComponent,
  buildWith,
  isNode,
  optionalChild,
  optionalString,
  rejectUnread,
} from "./node.js";
import { RequestOption } from "./request-option.js";

export interface DatetimeCursor {
  cursorField: string;
  /** Formats a Date the way the manifest's datetime_format says (state and requests). */
  format(date: Date): string;
  /** Parses a cursor value (record field or state); undefined when it is not a datetime. */
  parse(value: unknown): Date | undefined;
  /** The configured start of history. */
  start: Date;
  /** Where the start of the read is injected into the partition's requests. */
  startOption: RequestOption | undefined;
  /** Records older than the slice start are dropped client-side. */
  clientSide: boolean;
  /** One cursor for all partitions instead of one per partition. */
  globalCursor: boolean;
  /** cursor_granularity: a saved position resumes this much later, so its record is not read again. */
  granularityMs: number;
}

/** Parses a datetime written in a strftime format; ISO-8601 text is accepted whatever the format. */
export function parseDatetime(value: unknown, format: string): Date | undefined {
  if (value === null || value === undefined || value === "") return undefined;
  if (format === "%s" || format === "%ms") {
    const n = Number(value);
    if (!Number.isFinite(n)) return undefined;
    return new Date(format === "%s" ? n * 1000 : n);
  }
  // A date-time format reads strings only: 12 is not a date (Date() would read it as 2001-12-01).
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const text = value;
  // Date-only values are midnight UTC; everything else is ISO-8601 in practice.
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function buildCursor(node: object | undefined, where: string, config: Config): DatetimeCursor | undefined {
  return node ? buildWith(INCREMENTAL_SYNCS, node, where, config) : undefined;
}

/** Keys of Airbyte's cursor that need time windows or an end: rejected with the reason. */
function rejectWindowing(node: DatetimeBasedCursor, where: string): void {
  for (const key of ["end_datetime", "end_time_option"] as const) {
    if (node[key] !== undefined && node[key] !== null) {
      throw systemError(
        `Manifest: ${where}.${key} is not supported: this runtime reads each partition from its start up to now, ` +
          "with no end to inject; remove it",
      );
    }
  }
}

/**
 * A `step` is one window for this runtime: accepted when it reaches from the configured start past
 * now (so no partition is ever split), rejected otherwise.
 */
function rejectShortStep(node: DatetimeBasedCursor, where: string, start: Date): void {
  if (node.step === undefined || node.step === null) return;
  let stepMs: number;
  try {
    stepMs = durationSeconds(String(node.step)) * 1000;
  } catch {
    throw systemError(`Manifest: ${where}.step must be an ISO-8601 duration such as P36500D`);
  }
  if (start.getTime() + stepMs <= Date.now()) {
    throw systemError(
      `Manifest: ${where}.step (time-window slicing) is not supported: this runtime reads one slice per partition; ` +
        "omit step, or make it longer than all of history (e.g. P36500D)",
    );
  }
}

function granularityOf(node: DatetimeBasedCursor, where: string): number {
  if (node.cursor_granularity === undefined) return 0;
  try {
    return durationSeconds(String(node.cursor_granularity)) * 1000;
  } catch {
    throw systemError(`Manifest: ${where}.cursor_granularity must be an ISO-8601 duration such as PT0.001S`);
  }
}

/**
 * `format` remembering its last answer: most partitions of a sync start at the same position (the
 * configured start, or one saved position), formatted once per partition.
 */
function lastFormatted(format: (date: Date) => string): (date: Date) => string {
  let lastTime = Number.NaN;
  let lastText = "";
  return (date) => {
    const time = date.getTime();
    if (time !== lastTime) {
      lastText = format(date);
      lastTime = time;
    }
    return lastText;
  };
}

/** The configured start of history: `start_datetime`, a template or a MinMaxDatetime. */
function startOf(node: DatetimeBasedCursor, where: string, datetimeFormat: string, config: Config): Date {
  const startNode: unknown = node.start_datetime;
  const minMax = isNode(startNode) ? asComponent(startNode, "MinMaxDatetime", `${where}.start_datetime`) : undefined;
  if (minMax) rejectUnread(minMax, "MinMaxDatetime", `${where}.start_datetime`, ["datetime", "datetime_format"]);
  const startTemplate = minMax ? String(minMax.datetime ?? "") : String(startNode ?? "");
  const startFormat = minMax && typeof minMax.datetime_format === "string" ? minMax.datetime_format : datetimeFormat;
  const startText = interpolateString(startTemplate, { config });
  const start = parseDatetime(startText, startFormat);
  if (!start) throw configError(`The start date ${JSON.stringify(startText)} is not a valid date-time (expected ISO-8601, e.g. 2024-01-31T00:00:00Z)`);
  return start;
}

function datetimeBasedCursor(node: DatetimeBasedCursor, where: string, config: Config): DatetimeCursor {
  rejectWindowing(node, where);
  rejectUnread(node, "DatetimeBasedCursor", where, [
    "cursor_field", "datetime_format", "cursor_datetime_formats", "cursor_granularity", "start_datetime", "start_time_option",
    "step", "end_datetime", "end_time_option", "is_client_side_incremental", "global_substream_cursor",
  ]);
  const granularityMs = granularityOf(node, where);
  const cursorField = optionalString(node, "cursor_field", where);
  const datetimeFormat = optionalString(node, "datetime_format", where);
  if (!cursorField || !datetimeFormat) throw systemError(`Manifest: ${where} needs cursor_field and datetime_format`);
  const extraFormats: unknown = node.cursor_datetime_formats;
  const formats = [datetimeFormat, ...(Array.isArray(extraFormats) ? extraFormats.map(String) : [])];
  const start = startOf(node, where, datetimeFormat, config);
  rejectShortStep(node, where, start);
  const startOptionNode = optionalChild(node, "start_time_option", where);
  return {
    cursorField,
    format: lastFormatted((date) => strftime(date, datetimeFormat)),
    parse: (value) => {
      for (const f of formats) {
        const d = parseDatetime(value, f);
        if (d) return d;
      }
      return undefined;
    },
    start,
    startOption: startOptionNode ? RequestOption.from(startOptionNode, `${where}.start_time_option`) : undefined,
    clientSide: node.is_client_side_incremental === true,
    globalCursor: node.global_substream_cursor === true,
    granularityMs,
  };
}

/** `incremental_sync` components of a DeclarativeStream. */
export const INCREMENTAL_SYNCS = {
  DatetimeBasedCursor: datetimeBasedCursor,
} satisfies Registry<Config, DatetimeCursor>;
