/**
 * The typed-load mapper and loader (test/helpers/warehouse-types.ts, warehouse-load.ts) on
 * hand-made schemas and records: the type mapping, the mapper's refusals, and that a load really
 * fails on each thing a strict warehouse refuses (a null in a NOT NULL column or struct field, a
 * float into BIGINT, a number into VARCHAR, an undescribed key) and round-trips what fits.
 */
import { DuckDBInstance, type DuckDBValue, timestampTZValue } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { type JsonRecord, type LoadReport, loadIntoDuckDB } from "../helpers/warehouse-load.js";
import { type Column, type FailureKind, type RoundTripFailure, SchemaMappingError, compareRoundTrip, createTableSql, dateDays, nestedNotNullChecks, sqlType, tableColumns, timestampMicros, warehouseType } from "../helpers/warehouse-types.js";

const object = (properties: Record<string, unknown>, nullable = false): Record<string, unknown> => ({
  type: nullable ? ["object", "null"] : "object",
  properties,
});

async function load(schema: unknown, records: JsonRecord[]): Promise<LoadReport> {
  return loadIntoDuckDB([{ name: "things", schema, records }]);
}

const kindsAndPaths = (report: LoadReport): Array<[string, string]> => report.failures.map((f) => [f.kind, f.path]);

describe("warehouseType", () => {
  it("maps every JSON type to its column type", () => {
    const columns = tableColumns(
      object({
        gid: { type: "string" },
        at: { type: ["string", "null"], format: "date-time" },
        on: { type: "string", format: "date" },
        n: { type: "integer" },
        x: { type: ["number", "null"] },
        b: { type: "boolean" },
        opaque: { type: "object", additionalProperties: true },
        empty: { type: "object", properties: {} },
        ref: object({ gid: { type: "string" }, name: { type: ["string", "null"] } }, true),
        tags: { type: "array", items: object({ gid: { type: "string" } }) },
        matrix: { type: ["array", "null"], items: { type: "array", items: { type: "integer" } } },
      }),
    );
    expect(columns.map((c) => [c.name, sqlType(c.type), c.type.nullable])).toEqual([
      ["gid", "VARCHAR", false],
      ["at", "TIMESTAMPTZ", true],
      ["on", "DATE", false],
      ["n", "BIGINT", false],
      ["x", "DOUBLE", true],
      ["b", "BOOLEAN", false],
      ["opaque", "JSON", false],
      ["empty", "JSON", false],
      ["ref", 'STRUCT("gid" VARCHAR, "name" VARCHAR)', true],
      ["tags", 'STRUCT("gid" VARCHAR)[]', false],
      ["matrix", "BIGINT[][]", true],
    ]);
  });

  it("puts NOT NULL on non-null columns, and lists the non-null fields inside structs and lists", () => {
    const columns = tableColumns(
      object({
        gid: { type: "string" },
        ref: object({ gid: { type: "string" }, name: { type: ["string", "null"] } }, true),
        list: { type: "array", items: { type: "array", items: object({ gid: { type: "string" } }) } },
        note: { type: ["string", "null"] },
      }),
    );
    const sql = createTableSql("t", columns);
    expect(sql).toContain('"gid" VARCHAR NOT NULL, "ref" STRUCT("gid" VARCHAR, "name" VARCHAR), "list" STRUCT("gid" VARCHAR)[][] NOT NULL, "note" VARCHAR)');
    expect(nestedNotNullChecks(columns).map((c) => c.path)).toEqual(["ref.gid", "list[]", "list[][]", "list[][].gid"]);
  });

  it.each([
    ["a union of several non-null types", { type: ["string", "integer", "null"] }, "a.b: a union of several non-null types"],
    ["no type", { description: "anything" }, "a.b: no type"],
    ["only null", { type: "null" }, "a.b: no non-null type"],
    ["an array without items", { type: "array" }, "a.b: an array without one item schema"],
    ["an unknown type", { type: "any" }, 'a.b: unknown type "any"'],
  ])("refuses %s, naming the path", (_, node, message) => {
    const schema = object({ a: object({ b: node }) });
    expect(() => tableColumns(schema)).toThrow(SchemaMappingError);
    expect(() => tableColumns(schema)).toThrow(message);
  });

  it("names the path of a bad array item", () => {
    expect(() => warehouseType({ type: "array", items: object({ x: { oneOf: [{ type: "string" }] } }) }, "list")).toThrow("list[].x: no type");
  });

  it("refuses two properties DuckDB would not tell apart", () => {
    expect(() => tableColumns(object({ Name: { type: "string" }, name: { type: "string" } }))).toThrow('name: same column name as "Name"');
  });
});

describe("timestamps and dates", () => {
  it("parses RFC 3339 instants exactly, to the microsecond", () => {
    expect(timestampMicros("1970-01-01T00:00:00Z")).toBe(0n);
    expect(timestampMicros("2024-03-01T10:00:00.123456+02:00")).toBe(BigInt(Date.parse("2024-03-01T08:00:00.123Z")) * 1000n + 456n);
    expect(timestampMicros("2024-03-01T10:00:00.1234560000Z")).toBe(BigInt(Date.parse("2024-03-01T10:00:00.123Z")) * 1000n + 456n);
    expect(timestampMicros("2024-03-01T10:00:00.1234567Z")).toMatch(/sub-microsecond/);
    expect(timestampMicros("2024-03-01T10:00:00")).toMatch(/offset/);
    expect(timestampMicros("2024-02-30T10:00:00Z")).toMatch(/out of range/);
    expect(dateDays("1970-01-02")).toBe(1);
    expect(dateDays("2024-02-30")).toMatch(/out of range/);
    expect(dateDays("2024-02-03T00:00:00Z")).toMatch(/YYYY-MM-DD/);
  });
});

describe("loadIntoDuckDB", () => {
  const schema = object({
    gid: { type: "string" },
    created_at: { type: "string", format: "date-time" },
    due_on: { type: ["string", "null"], format: "date" },
    count: { type: ["integer", "null"] },
    ratio: { type: ["number", "null"] },
    done: { type: ["boolean", "null"] },
    name: { type: ["string", "null"] },
    extra: { type: ["object", "null"] },
    owner: object({ gid: { type: "string" }, name: { type: ["string", "null"] } }, true),
    followers: { type: ["array", "null"], items: object({ gid: { type: "string" }, meta: { type: ["object", "null"] } }) },
  });
  const good: JsonRecord = {
    gid: "1",
    created_at: "2024-03-01T10:00:00.123Z",
    due_on: "2024-03-05",
    count: 9_007_199_254_740_991,
    ratio: 0.1,
    done: false,
    name: "ünïcödé ✓",
    extra: { nested: [1, { deep: null }], s: "x" },
    owner: { gid: "7", name: null },
    followers: [{ gid: "8", meta: { a: [1, 2.5, "x"], b: { c: true } } }, { gid: "9", meta: null }],
  };

  it("round-trips records that fit: instants, dates, exact numbers, structs, lists, JSON, nulls and absent keys", async () => {
    const report = await load(schema, [good, { gid: "2", created_at: "2024-03-01T12:00:00.5+02:00", owner: null, followers: [], extra: null }]);
    expect(report.failures).toEqual([]);
    expect(report.loads).toEqual([{ stream: "things", records: 2, rowsLoaded: 2, rowsEqual: 2 }]);
  });

  it("a null in a NOT NULL column is rejected by DuckDB", async () => {
    const report = await load(schema, [{ ...good, created_at: null }]);
    expect(kindsAndPaths(report)).toEqual([["rejected", "created_at"]]);
    expect(report.failures[0]!.example).toMatch(/NOT NULL constraint failed/);
    expect(report.loads[0]!.rowsLoaded).toBe(0);
  });

  it("an absent key of a NOT NULL column is rejected too", async () => {
    const { created_at: _, ...record } = good;
    expect(kindsAndPaths(await load(schema, [record]))).toEqual([["rejected", "created_at"]]);
  });

  it("a null in a non-null field inside a struct or a list item is rejected", async () => {
    const report = await load(schema, [
      { ...good, gid: "a", owner: { gid: null, name: "x" } },
      { ...good, gid: "b", followers: [{ gid: "8" }, { gid: null }] },
      { ...good, gid: "c", followers: [null] },
    ]);
    expect(kindsAndPaths(report)).toEqual([
      ["rejected", "owner.gid"],
      ["rejected", "followers[]"],
      ["rejected", "followers[].gid"],
    ]);
    expect(report.failures.map((f) => f.count)).toEqual([1, 1, 1]);
    expect(report.loads[0]).toMatchObject({ records: 3, rowsLoaded: 0 });
  });

  it.each([
    ["a float into BIGINT", { count: 1.5 }, "count", /BIGINT expects an integer, got number 1.5/],
    ["a numeric string into BIGINT", { count: "12" }, "count", /BIGINT expects an integer/],
    ["a boolean into BIGINT", { count: true }, "count", /BIGINT expects an integer/],
    ["an integer beyond 64 bits", { count: 1e20 }, "count", /within 64 bits/],
    ["a number into VARCHAR", { name: 5 }, "name", /VARCHAR expects a string, got number 5/],
    ["an object into VARCHAR", { name: { a: 1 } }, "name", /VARCHAR expects a string, got object/],
    ["a string into BOOLEAN", { done: "yes" }, "done", /BOOLEAN expects a boolean/],
    ["a string into DOUBLE", { ratio: "1.5" }, "ratio", /DOUBLE expects a number/],
    ["a date-time into DATE", { due_on: "2024-03-05T10:00:00Z" }, "due_on", /YYYY-MM-DD/],
    ["a date into TIMESTAMPTZ", { created_at: "2024-03-05" }, "created_at", /RFC 3339/],
    ["a local time into TIMESTAMPTZ", { created_at: "2024-03-05T10:00:00" }, "created_at", /offset/],
    ["nanoseconds into TIMESTAMPTZ", { created_at: "2024-03-05T10:00:00.123456789Z" }, "created_at", /sub-microsecond/],
    ["a string into a STRUCT", { owner: "7" }, "owner", /STRUCT expects an object/],
    ["an object into a LIST", { followers: { gid: "8" } }, "followers", /LIST expects an array/],
    ["a number into a struct field", { owner: { gid: 7 } }, "owner.gid", /VARCHAR expects a string/],
  ])("%s is rejected, not coerced", async (_, change, path, reason) => {
    const report = await load(schema, [{ ...good, ...change }]);
    expect(kindsAndPaths(report)).toEqual([["rejected", path]]);
    expect(report.failures[0]!.example).toMatch(reason);
  });

  it("a key no column or STRUCT field describes is detected as dropped", async () => {
    const report = await load(schema, [{ ...good, surprise: 1, owner: { gid: "7", name: "n", email: "e@x" }, followers: [{ gid: "8", resource_type: "user" }] }]);
    expect(kindsAndPaths(report)).toEqual([
      ["dropped", "owner.email"],
      ["dropped", "followers[].resource_type"],
      ["dropped", "surprise"],
    ]);
    expect(report.loads[0]).toMatchObject({ rowsLoaded: 1, rowsEqual: 0 });
  });

  it("a stream whose schema does not map is reported, not loaded", async () => {
    const report = await load(object({ gid: { type: "string" }, v: { type: ["string", "integer"] } }), [{ gid: "1", v: "x" }]);
    expect(kindsAndPaths(report)).toEqual([["unmappable", "v"]]);
    expect(report.loads[0]!.rowsLoaded).toBe(0);
  });
});

describe("compareRoundTrip (what the load would miss if a value changed on the way)", () => {
  const [n, at] = tableColumns(object({ n: { type: "integer" }, at: { type: "string", format: "date-time" } }));
  const diff = (column: Column, original: unknown, stored: DuckDBValue): FailureKind[] => {
    const failures: RoundTripFailure[] = [];
    compareRoundTrip(original, stored, column.type, column.name, failures);
    return failures.map((f) => f.kind);
  };

  it("catches a rounded integer, a NULL for a value and a value for a null", () => {
    expect(diff(n!, 1.5, 2n)).toEqual(["coerced"]);
    expect(diff(n!, 3, null)).toEqual(["coerced"]);
    expect(diff(n!, null, 0n)).toEqual(["coerced"]);
    expect(diff(n!, 3, 3n)).toEqual([]);
  });

  it("compares timestamps as instants, whatever the offset", () => {
    const instant = BigInt(Date.parse("2024-03-01T08:00:00.123Z")) * 1000n;
    expect(diff(at!, "2024-03-01T10:00:00.123+02:00", timestampTZValue(instant))).toEqual([]);
    expect(diff(at!, "2024-03-01T08:00:00.123456Z", timestampTZValue(instant + 456n))).toEqual([]);
    expect(diff(at!, "2024-03-01T08:00:00.123Z", timestampTZValue(instant + 1n))).toEqual(["coerced"]);
    expect(diff(at!, "2024-03-01t08:00:00.123z", timestampTZValue(instant))).toEqual([]);
    expect(diff(at!, "2024-03-01T08:00:00", timestampTZValue(instant))).toEqual(["coerced"]);
  });
});

describe("why values are bound typed instead of ingested with json_transform_strict", () => {
  it("json_transform_strict silently coerces values that do not fit (so a JSON load would hide them)", async () => {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    try {
      const transform = async (json: string, type: string): Promise<string> =>
        JSON.stringify((await connection.runAndReadAll("SELECT json_transform_strict(?::JSON, ?) AS v", [json, type])).getRowObjectsJson()[0]!.v);
      expect(await transform('{"a":1.5}', '{"a":"BIGINT"}')).toBe('{"a":"2"}');
      expect(await transform('{"a":5}', '{"a":"VARCHAR"}')).toBe('{"a":"5"}');
      expect(await transform('{"a":"yes"}', '{"a":"BOOLEAN"}')).toBe('{"a":true}');
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
