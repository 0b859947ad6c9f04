/**
 * The two checks a typed destination makes of a sync's output, for any set of streams (the
 * simulator's or real Asana's): every record validates against the JSON schema its stream
 * published, and every record loads into a DuckDB table whose typed columns are derived from that
 * schema (warehouse-types.ts) and reads back unchanged. Failures are grouped by stream, kind and
 * field path (array indexes folded to `[]`), with a count and one example each.
 */
import { DuckDBInstance, type DuckDBValue, BIGINT } from "@duckdb/node-api";
import { Ajv } from "ajv";
import addFormatsImport from "ajv-formats";
import {
  type Column,
  ORDINAL_COLUMN,
  Rejection,
  type RoundTripFailure,
  SchemaMappingError,
  bindType,
  compareRoundTrip,
  createTableSql,
  nestedNotNullChecks,
  quoteIdentifier,
  tableColumns,
  toDuckDBValue,
} from "./warehouse-types.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

export type JsonRecord = Record<string, unknown>;

export interface StreamData {
  name: string;
  /** The JSON schema the stream published (discover's `json_schema`). */
  schema: unknown;
  records: readonly JsonRecord[];
  /** discover's `source_defined_primary_key`: names the records in failure examples. */
  primaryKey?: readonly (readonly string[])[];
}

/** How a failure example names its record: by primary key when the stream has one, else by position. */
function recordName(stream: StreamData, index: number): string {
  const record = stream.records[index];
  const key = stream.primaryKey?.map((path) => path.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as JsonRecord)[k] : undefined), record));
  return key?.length ? `${stream.primaryKey!.map((p) => p.join(".")).join(", ")} ${key.map((v) => JSON.stringify(v)).join(", ")}` : `record #${index}`;
}

export interface FailureGroup {
  stream: string;
  kind: string;
  path: string;
  count: number;
  example: string;
}

class FailureCounter {
  private readonly groups = new Map<string, FailureGroup>();

  add(stream: string, kind: string, path: string, example: string): void {
    const key = JSON.stringify([stream, kind, path]);
    const group = this.groups.get(key);
    if (group) group.count++;
    else this.groups.set(key, { stream, kind, path, count: 1, example: example.length > 300 ? `${example.slice(0, 297)}...` : example });
  }

  list(): FailureGroup[] {
    return [...this.groups.values()];
  }
}

export interface ValidationReport {
  checked: number;
  failedRecords: number;
  failures: FailureGroup[];
}

/** Validates every record against its stream's schema (ajv + ajv-formats, strict false, allErrors). */
export function validateRecords(streams: readonly StreamData[]): ValidationReport {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const counter = new FailureCounter();
  let checked = 0;
  let failedRecords = 0;
  for (const stream of streams) {
    const validate = ajv.compile(stream.schema as object);
    for (const [index, record] of stream.records.entries()) {
      checked++;
      if (validate(record as unknown)) continue;
      failedRecords++;
      for (const error of validate.errors ?? []) {
        const path = error.instancePath.replace(/\/\d+(?=\/|$)/g, "[]").replace(/^\//, "").replaceAll("/", ".");
        counter.add(stream.name, `schema:${error.keyword}`, path, `${error.message ?? ""} ${JSON.stringify(error.params)} (${recordName(stream, index)})`);
      }
    }
  }
  return { checked, failedRecords, failures: counter.list() };
}

export interface StreamLoad {
  stream: string;
  records: number;
  /** Rows accepted (typed values that fit, constraints held) and read back, equal or not. */
  rowsLoaded: number;
  /** Rows read back equal to their record in every column. */
  rowsEqual: number;
}

export interface LoadReport {
  loads: StreamLoad[];
  failures: FailureGroup[];
}

const firstLine = (text: string): string => text.split("\n")[0] ?? text;

async function loadStream(connection: Awaited<ReturnType<DuckDBInstance["connect"]>>, stream: StreamData, counter: FailureCounter): Promise<StreamLoad> {
  const load: StreamLoad = { stream: stream.name, records: stream.records.length, rowsLoaded: 0, rowsEqual: 0 };
  let columns: Column[];
  try {
    columns = tableColumns(stream.schema);
  } catch (error) {
    if (!(error instanceof SchemaMappingError)) throw error;
    counter.add(stream.name, "unmappable", error.path, error.message);
    return load;
  }
  const table = quoteIdentifier(stream.name);
  const ordinal = quoteIdentifier(ORDINAL_COLUMN);
  await connection.run(createTableSql(stream.name, columns));
  const insert = await connection.prepare(`INSERT INTO ${table} VALUES (${[ORDINAL_COLUMN, ...columns].map((_, i) => `$${i + 1}`).join(", ")})`);
  const types = [BIGINT, ...columns.map((c) => bindType(c.type))];
  for (const [index, record] of stream.records.entries()) {
    let values: DuckDBValue[];
    try {
      values = [BigInt(index), ...columns.map((c) => toDuckDBValue(record[c.name], c.type, c.name))];
    } catch (error) {
      if (!(error instanceof Rejection)) throw error;
      counter.add(stream.name, "rejected", error.path, `${error.reason} (${recordName(stream, index)})`);
      continue;
    }
    insert.bind(values, types);
    try {
      await insert.run();
    } catch (error) {
      const message = firstLine(error instanceof Error ? error.message : String(error));
      const nulls = columns.filter((c) => !c.type.nullable && (record[c.name] === null || record[c.name] === undefined)).map((c) => c.name);
      for (const path of nulls.length ? nulls : ["(row)"]) counter.add(stream.name, "rejected", path, `${message} (${recordName(stream, index)})`);
    }
  }
  insert.destroySync();

  // Non-null fields inside STRUCTs and LISTs: one query per field; a row breaking any is rejected
  // (not counted as loaded), but still compared below, for what else it would lose.
  const rejected = new Set<number>();
  for (const check of nestedNotNullChecks(columns)) {
    const rows = (await connection.runAndReadAll(`SELECT ${ordinal} FROM ${table} WHERE NOT ${check.valid} ORDER BY ${ordinal}`)).getRows();
    for (const [value] of rows) {
      rejected.add(Number(value));
      counter.add(stream.name, "rejected", check.path, `NULL in a field the schema calls non-null (${recordName(stream, Number(value))})`);
    }
  }

  const reader = await connection.runAndReadAll(`SELECT * FROM ${table} ORDER BY ${ordinal}`);
  const described = new Set(columns.map((c) => c.name));
  for (const row of reader.getRowObjects()) {
    const index = Number(row[ORDINAL_COLUMN]);
    const record = stream.records[index]!;
    const failures: RoundTripFailure[] = [];
    for (const column of columns) compareRoundTrip(record[column.name], row[column.name] ?? null, column.type, column.name, failures);
    for (const key of Object.keys(record)) {
      if (!described.has(key)) failures.push({ kind: "dropped", path: key, detail: `no column holds ${JSON.stringify(record[key])?.slice(0, 60)}` });
    }
    for (const failure of failures) counter.add(stream.name, failure.kind, failure.path, `${failure.detail} (${recordName(stream, index)})`);
    if (rejected.has(index)) continue;
    load.rowsLoaded++;
    if (failures.length === 0) load.rowsEqual++;
  }
  return load;
}

/** Loads every stream into its own typed table of an in-memory DuckDB and reads every row back. */
export async function loadIntoDuckDB(streams: readonly StreamData[]): Promise<LoadReport> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  const counter = new FailureCounter();
  const loads: StreamLoad[] = [];
  try {
    for (const stream of streams) loads.push(await loadStream(connection, stream, counter));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return { loads, failures: counter.list() };
}

/** A failure list as lines for a report or an assertion message. */
export function formatFailures(failures: readonly FailureGroup[]): string {
  return failures.map((f) => `  ${f.stream} ${f.kind} ${f.path || "(record)"} ×${f.count}: ${f.example}`).join("\n");
}

export function formatLoads(loads: readonly StreamLoad[]): string {
  return loads.map((l) => `  ${l.stream.padEnd(22)} ${String(l.records).padStart(7)} records ${String(l.rowsLoaded).padStart(7)} rows loaded ${String(l.rowsEqual).padStart(7)} equal`).join("\n");
}
