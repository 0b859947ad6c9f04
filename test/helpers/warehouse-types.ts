/**
 * What a strict, typed warehouse writer does with a stream's JSON schema and its records, in
 * DuckDB terms: a generic mapper from JSON Schema to typed columns, a converter from a record's
 * JSON values to typed DuckDB values that never converts between kinds, and a round-trip check
 * that the row read back holds exactly the record.
 *
 * The mapping (nothing here names a stream or a field):
 *   string → VARCHAR; string + format date-time → TIMESTAMPTZ; string + format date → DATE;
 *   integer → BIGINT; number → DOUBLE; boolean → BOOLEAN;
 *   object with described properties → STRUCT of them (recursively); object without (opaque) → JSON;
 *   array → LIST of the item type;
 *   [T, "null"] → a nullable T; a type without "null" → NOT NULL (a column constraint at the top
 *   level; inside structs and lists, where DuckDB has no NOT NULL, a query per field after the
 *   insert: `nestedNotNullChecks`).
 * A node with several non-null types, with no type, or an array without one item schema is a
 * mapping error naming its path: the schemas must not contain them.
 *
 * Why values are bound typed rather than ingested as JSON: DuckDB's `json_transform_strict` only
 * refuses what it cannot parse at all, and silently coerces the rest (1.5 → BIGINT 2, "12" → 12,
 * true → 1, 5 → '5', an object → its JSON text in a VARCHAR, "yes" → true, a date-time → DATE,
 * nanoseconds truncated). `toDuckDBValue` refuses every such value instead (a "rejected" failure
 * with its path), DuckDB enforces the NOT NULL constraints, and `compareRoundTrip`
 * catches whatever still changed ("coerced") and keys no STRUCT describes ("dropped").
 */
import { isDeepStrictEqual } from "node:util";
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  DuckDBDateValue,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  type DuckDBType,
  type DuckDBValue,
  LIST,
  STRUCT,
  TIMESTAMPTZ,
  VARCHAR,
  dateValue,
  listValue,
  structValue,
  timestampTZValue,
} from "@duckdb/node-api";

export type ScalarKind = "VARCHAR" | "TIMESTAMPTZ" | "DATE" | "BIGINT" | "DOUBLE" | "BOOLEAN" | "JSON";

export interface StructField {
  name: string;
  type: WarehouseType;
}

export type WarehouseType =
  | { kind: ScalarKind; nullable: boolean }
  | { kind: "STRUCT"; nullable: boolean; fields: readonly StructField[] }
  | { kind: "LIST"; nullable: boolean; item: WarehouseType };

export type Column = StructField;

/** A schema node the mapper refuses; `path` is the record path (`memberships[].project.gid`). */
export class SchemaMappingError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path || "(root)"}: ${reason}`);
    this.name = "SchemaMappingError";
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** The fields of an object schema's `properties`, refusing names DuckDB would not tell apart (identifiers ignore case). */
function fieldsOf(properties: JsonObject, path: string): StructField[] {
  const seen = new Map<string, string>();
  return Object.entries(properties).map(([name, sub]) => {
    const folded = name.toLowerCase();
    const other = seen.get(folded);
    if (other !== undefined) throw new SchemaMappingError(join(path, name), `same column name as "${other}" (DuckDB identifiers ignore case)`);
    seen.set(folded, name);
    return { name, type: warehouseType(sub, join(path, name)) };
  });
}

/** The warehouse type of the schema node at `path`. Throws SchemaMappingError. */
export function warehouseType(schema: unknown, path: string): WarehouseType {
  if (!isObject(schema)) throw new SchemaMappingError(path, `not a schema object: ${JSON.stringify(schema)}`);
  const declared = schema.type;
  if (declared === undefined) throw new SchemaMappingError(path, "no type");
  const types = Array.isArray(declared) ? declared : [declared];
  if (!types.every((t): t is string => typeof t === "string")) throw new SchemaMappingError(path, `type is not a string or a list of strings: ${JSON.stringify(declared)}`);
  const nullable = types.includes("null");
  const nonNull = [...new Set(types.filter((t) => t !== "null"))];
  if (nonNull.length === 0) throw new SchemaMappingError(path, `no non-null type: ${JSON.stringify(declared)}`);
  if (nonNull.length > 1) throw new SchemaMappingError(path, `a union of several non-null types: ${JSON.stringify(declared)}`);
  const type = nonNull[0];
  switch (type) {
    case "string":
      if (schema.format === "date-time") return { kind: "TIMESTAMPTZ", nullable };
      if (schema.format === "date") return { kind: "DATE", nullable };
      return { kind: "VARCHAR", nullable };
    case "integer":
      return { kind: "BIGINT", nullable };
    case "number":
      return { kind: "DOUBLE", nullable };
    case "boolean":
      return { kind: "BOOLEAN", nullable };
    case "object": {
      const properties = schema.properties;
      if (properties === undefined || (isObject(properties) && Object.keys(properties).length === 0)) return { kind: "JSON", nullable };
      if (!isObject(properties)) throw new SchemaMappingError(path, "properties is not an object");
      return { kind: "STRUCT", nullable, fields: fieldsOf(properties, path) };
    }
    case "array": {
      if (!isObject(schema.items)) throw new SchemaMappingError(path, "an array without one item schema");
      return { kind: "LIST", nullable, item: warehouseType(schema.items, `${path}[]`) };
    }
    default:
      throw new SchemaMappingError(path, `unknown type ${JSON.stringify(type)}`);
  }
}

/** The hidden column that keeps each row's position in the stream (for reading rows back in order). */
export const ORDINAL_COLUMN = "_load_ordinal";

/** The columns of a stream's table: the properties of its top-level object schema. Throws SchemaMappingError. */
export function tableColumns(schema: unknown): Column[] {
  const root = warehouseType(schema, "");
  if (root.kind !== "STRUCT") throw new SchemaMappingError("", `the stream schema must be an object with properties, maps to ${root.kind}`);
  const clash = root.fields.find((f) => f.name.toLowerCase() === ORDINAL_COLUMN);
  if (clash) throw new SchemaMappingError(clash.name, `clashes with the loader's ${ORDINAL_COLUMN} column`);
  return [...root.fields];
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The SQL spelling of a type (without constraints: DuckDB has none inside STRUCT and LIST). */
export function sqlType(type: WarehouseType): string {
  switch (type.kind) {
    case "STRUCT":
      return `STRUCT(${type.fields.map((f) => `${quoteIdentifier(f.name)} ${sqlType(f.type)}`).join(", ")})`;
    case "LIST":
      return `${sqlType(type.item)}[]`;
    default:
      return type.kind;
  }
}

/** A field the schema calls non-null inside a STRUCT or LIST column, and a predicate on a row that holds when it is not null there. */
export interface NestedNotNull {
  path: string;
  /** SQL, never NULL itself (only IS [NOT] NULL, AND, OR and coalesce), so NOT of it is exactly the violation. */
  valid: string;
}

function nestedNotNull(expr: string, type: WarehouseType, path: string, depth: number): NestedNotNull[] {
  if (type.kind === "STRUCT") {
    return type.fields.flatMap((f) => {
      const sub = `struct_extract(${expr}, ${quoteString(f.name)})`;
      const own = f.type.nullable ? [] : [{ path: join(path, f.name), valid: `(${expr} IS NULL OR ${sub} IS NOT NULL)` }];
      return [...own, ...nestedNotNull(sub, f.type, join(path, f.name), depth)];
    });
  }
  if (type.kind === "LIST") {
    const x = `x${depth}`;
    const every = (predicate: string): string => `(${expr} IS NULL OR coalesce(list_bool_and(list_transform(${expr}, lambda ${x}: ${predicate})), true))`;
    const own = type.item.nullable ? [] : [{ path: `${path}[]`, valid: every(`${x} IS NOT NULL`) }];
    return [...own, ...nestedNotNull(x, type.item, `${path}[]`, depth + 1).map((n) => ({ path: n.path, valid: every(n.valid) }))];
  }
  return [];
}

/**
 * The non-null fields inside the columns' STRUCTs and LISTs. DuckDB has no NOT NULL there and
 * refuses lambdas (needed to look inside lists) in CHECK constraints, so the loader enforces them
 * with a query per field after the insert, and rejects the rows that break one.
 */
export function nestedNotNullChecks(columns: readonly Column[]): NestedNotNull[] {
  return columns.flatMap((c) => nestedNotNull(quoteIdentifier(c.name), c.type, c.name, 0));
}

/** CREATE TABLE with typed columns, NOT NULL on the non-null ones. */
export function createTableSql(table: string, columns: readonly Column[]): string {
  const definitions = [`${quoteIdentifier(ORDINAL_COLUMN)} BIGINT NOT NULL`];
  for (const column of columns) definitions.push(`${quoteIdentifier(column.name)} ${sqlType(column.type)}${column.type.nullable ? "" : " NOT NULL"}`);
  return `CREATE TABLE ${quoteIdentifier(table)} (${definitions.join(", ")})`;
}

/** The DuckDB type a value of `type` is bound as (JSON is bound as its text and cast by the INSERT). */
export function bindType(type: WarehouseType): DuckDBType {
  switch (type.kind) {
    case "VARCHAR":
    case "JSON":
      return VARCHAR;
    case "TIMESTAMPTZ":
      return TIMESTAMPTZ;
    case "DATE":
      return DATE;
    case "BIGINT":
      return BIGINT;
    case "DOUBLE":
      return DOUBLE;
    case "BOOLEAN":
      return BOOLEAN;
    case "STRUCT":
      return STRUCT(Object.fromEntries(type.fields.map((f) => [f.name, bindType(f.type)])));
    case "LIST":
      return LIST(bindType(type.item));
  }
}

/** A value the strict writer refuses: it does not fit its column's type. */
export class Rejection extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = "Rejection";
  }
}

function describeValue(value: unknown): string {
  const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  const text = JSON.stringify(value) ?? String(value);
  return `${kind} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** Epoch ms of a proleptic Gregorian date and time, or undefined when a field is out of range (Feb 30, hour 24). */
function utcMillis(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number | undefined {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  const exact = date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === s;
  return exact ? date.getTime() : undefined;
}

/** Microseconds since the epoch of an RFC 3339 date-time, or a reason it has no exact TIMESTAMPTZ. */
export function timestampMicros(text: string): bigint | string {
  const m = RFC3339.exec(text);
  if (!m) return "not an RFC 3339 date-time with a time zone offset";
  const [, y, mo, d, h, mi, s, fraction = "", , sign, oh, om] = m;
  const ms = utcMillis(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
  if (ms === undefined) return "a field out of range";
  if (/[1-9]/.test(fraction.slice(6))) return "sub-microsecond precision that TIMESTAMPTZ would truncate";
  if (Number(oh ?? 0) > 23 || Number(om ?? 0) > 59) return "an offset out of range";
  const offsetMinutes = sign === undefined ? 0 : (sign === "-" ? -1 : 1) * (Number(oh) * 60 + Number(om));
  return BigInt(ms - offsetMinutes * 60_000) * 1000n + BigInt(fraction.slice(0, 6).padEnd(6, "0"));
}

/** Days since the epoch of a YYYY-MM-DD date, or a reason it is not one. */
export function dateDays(text: string): number | string {
  const m = ISO_DATE.exec(text);
  if (!m) return "not a YYYY-MM-DD date";
  const ms = utcMillis(Number(m[1]), Number(m[2]), Number(m[3]));
  return ms === undefined ? "a field out of range" : ms / MS_PER_DAY;
}

const BIGINT_MAX = 2n ** 63n - 1n;

/**
 * The typed DuckDB value of a record's JSON `value` for a column of `type`; throws Rejection when
 * the value is not of the type's JSON kind or does not fit it exactly. Null and absent values
 * become NULL whatever the type: the table's constraints decide whether NULL is allowed.
 */
export function toDuckDBValue(value: unknown, type: WarehouseType, path: string): DuckDBValue {
  if (value === null || value === undefined) return null;
  const reject = (expected: string): never => {
    throw new Rejection(path, `${type.kind} expects ${expected}, got ${describeValue(value)}`);
  };
  switch (type.kind) {
    case "VARCHAR":
      return typeof value === "string" ? value : reject("a string");
    case "JSON":
      return JSON.stringify(value);
    case "TIMESTAMPTZ": {
      if (typeof value !== "string") return reject("a date-time string");
      const micros = timestampMicros(value);
      return typeof micros === "bigint" ? timestampTZValue(micros) : reject(`a date-time string (${micros})`);
    }
    case "DATE": {
      if (typeof value !== "string") return reject("a date string");
      const days = dateDays(value);
      return typeof days === "number" ? dateValue(days) : reject(`a date string (${days})`);
    }
    case "BIGINT": {
      if (typeof value !== "number" || !Number.isInteger(value)) return reject("an integer");
      const big = BigInt(value);
      return big > BIGINT_MAX || big < -BIGINT_MAX - 1n ? reject("an integer within 64 bits") : big;
    }
    case "DOUBLE":
      return typeof value === "number" ? value : reject("a number");
    case "BOOLEAN":
      return typeof value === "boolean" ? value : reject("a boolean");
    case "STRUCT": {
      if (!isObject(value)) return reject("an object");
      // Keys no field describes are left out here, and reported by compareRoundTrip as dropped.
      return structValue(Object.fromEntries(type.fields.map((f) => [f.name, toDuckDBValue(value[f.name], f.type, join(path, f.name))])));
    }
    case "LIST":
      return Array.isArray(value) ? listValue(value.map((item) => toDuckDBValue(item, type.item, `${path}[]`))) : reject("an array");
  }
}

export type FailureKind = "rejected" | "coerced" | "dropped";

export interface RoundTripFailure {
  kind: FailureKind;
  path: string;
  detail: string;
}

function describeStored(value: DuckDBValue): string {
  if (value === null) return "NULL";
  if (typeof value === "bigint") return `${value}`;
  if (typeof value === "object") return `${value.constructor.name} ${String(value)}`;
  return JSON.stringify(value);
}

/**
 * Compares a record's JSON `original` with the `stored` value read back from a column of `type`
 * and appends every difference to `failures`: "coerced" when the value came back different (or
 * NULL), "dropped" for each key of an object that its STRUCT does not describe. Timestamps are
 * compared as instants (JavaScript's own date parser, plus the microsecond digits), dates as
 * days, numbers exactly, JSON as parsed JSON. An absent key and null are the same to a table.
 */
export function compareRoundTrip(original: unknown, stored: DuckDBValue, type: WarehouseType, path: string, failures: RoundTripFailure[]): void {
  const coerced = (): void => {
    failures.push({ kind: "coerced", path, detail: `${describeValue(original ?? null)} came back as ${describeStored(stored)}` });
  };
  if (original === null || original === undefined) {
    if (stored !== null) coerced();
    return;
  }
  if (stored === null) return coerced();
  switch (type.kind) {
    case "VARCHAR":
    case "BOOLEAN":
      if (stored !== original) coerced();
      return;
    case "DOUBLE":
      if (typeof original !== "number" || !Object.is(stored, original)) coerced();
      return;
    case "BIGINT":
      if (typeof original !== "number" || !Number.isInteger(original) || stored !== BigInt(original)) coerced();
      return;
    case "JSON":
      if (typeof stored !== "string" || !isDeepStrictEqual(JSON.parse(stored), original)) coerced();
      return;
    case "TIMESTAMPTZ": {
      // An instant by an independent parser: Date.parse for the milliseconds, the fraction's digits 4-6 for the rest.
      const ms = typeof original === "string" && RFC3339.test(original) ? Date.parse(original.replace(/^(.{10})[t ]/, "$1T").toUpperCase()) : Number.NaN;
      const subMs = typeof original === "string" ? (/\.\d{3}(\d{1,3})/.exec(original)?.[1] ?? "").padEnd(3, "0") : "";
      const same = stored instanceof DuckDBTimestampTZValue && Number.isFinite(ms) && stored.micros === BigInt(ms) * 1000n + BigInt(subMs || "0");
      if (!same) coerced();
      return;
    }
    case "DATE": {
      const ms = typeof original === "string" && ISO_DATE.test(original) ? Date.parse(original) : Number.NaN;
      if (!(stored instanceof DuckDBDateValue) || !Number.isFinite(ms) || stored.days * MS_PER_DAY !== ms) coerced();
      return;
    }
    case "STRUCT": {
      if (!(stored instanceof DuckDBStructValue) || !isObject(original)) return coerced();
      for (const field of type.fields) compareRoundTrip(original[field.name], stored.entries[field.name] ?? null, field.type, join(path, field.name), failures);
      const described = new Set(type.fields.map((f) => f.name));
      for (const key of Object.keys(original)) {
        if (!described.has(key)) failures.push({ kind: "dropped", path: join(path, key), detail: `no column or STRUCT field holds ${describeValue(original[key])}` });
      }
      return;
    }
    case "LIST": {
      if (!(stored instanceof DuckDBListValue) || !Array.isArray(original) || stored.items.length !== original.length) return coerced();
      original.forEach((item, i) => compareRoundTrip(item, stored.items[i] ?? null, type.item, `${path}[]`, failures));
      return;
    }
  }
}
