/**
 * DatetimeBasedCursor (PROTOCOL-NOTES §2.3), the incremental cursor of a stream: which record
 * field is the cursor, how datetimes are written, where the sync starts, and where the start is
 * injected into requests. This runtime reads one slice per partition (no `step`): from the
 * partition's saved cursor (or the start) up to now.
 */
import { configError, systemError } from "../errors.js";
import { interpolateString, strftime } from "../manifest/interpolation.js";
import { durationSeconds } from "./duration.js";
import { type ManifestNode, isNode, nodeType, optionalChild, optionalString, unsupported } from "./node.js";
import { RequestOption } from "./request-option.js";

export interface DatetimeCursor {
  cursorField: string;
  /** Formats a Date the way the manifest's datetime_format says (state and requests). */
  format(date: Date): string;
  /** Parses a cursor value (record field or state); undefined when it is not a datetime. */
  parse(value: unknown): Date | undefined;
  /** The configured start of history. */
  start: Date;
  startOption: RequestOption | undefined;
  endOption: RequestOption | undefined;
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

export function buildCursor(node: ManifestNode | undefined, where: string, config: Record<string, unknown>): DatetimeCursor | undefined {
  if (!node) return undefined;
  if (nodeType(node) !== "DatetimeBasedCursor") unsupported(node, where, ["DatetimeBasedCursor"]);
  if (node.step !== undefined) {
    throw systemError(`Manifest: ${where}.step (time-window slicing) is not supported; omit it for one slice per partition`);
  }
  let granularityMs = 0;
  if (node.cursor_granularity !== undefined) {
    try {
      granularityMs = durationSeconds(String(node.cursor_granularity)) * 1000;
    } catch {
      throw systemError(`Manifest: ${where}.cursor_granularity must be an ISO-8601 duration such as PT0.001S`);
    }
  }
  const cursorField = optionalString(node, "cursor_field", where);
  const datetimeFormat = optionalString(node, "datetime_format", where);
  if (!cursorField || !datetimeFormat) throw systemError(`Manifest: ${where} needs cursor_field and datetime_format`);
  const formats = [datetimeFormat, ...(Array.isArray(node.cursor_datetime_formats) ? node.cursor_datetime_formats.map(String) : [])];
  const startNode = node.start_datetime;
  const startTemplate = isNode(startNode) ? String(startNode.datetime ?? "") : String(startNode ?? "");
  const startFormat = isNode(startNode) && typeof startNode.datetime_format === "string" ? startNode.datetime_format : datetimeFormat;
  const startText = interpolateString(startTemplate, { config });
  const start = parseDatetime(startText, startFormat);
  if (!start) throw configError(`The start date ${JSON.stringify(startText)} is not a valid date-time (expected ISO-8601, e.g. 2024-01-31T00:00:00Z)`);
  const startOptionNode = optionalChild(node, "start_time_option", where);
  const endOptionNode = optionalChild(node, "end_time_option", where);
  return {
    cursorField,
    format: (date) => strftime(date, datetimeFormat),
    parse: (value) => {
      for (const f of formats) {
        const d = parseDatetime(value, f);
        if (d) return d;
      }
      return undefined;
    },
    start,
    startOption: startOptionNode ? RequestOption.from(startOptionNode, `${where}.start_time_option`) : undefined,
    endOption: endOptionNode ? RequestOption.from(endOptionNode, `${where}.end_time_option`) : undefined,
    clientSide: node.is_client_side_incremental === true,
    globalCursor: node.global_substream_cursor === true,
    granularityMs,
  };
}
