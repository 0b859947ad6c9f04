/**
 * A real typed load: one full read of every stream `discover` publishes (small dataset, transient
 * faults at a low rate), then what a strict typed destination does with it:
 *   a. every record validates against the JSON schema discover published for its stream;
 *   b. every stream gets a DuckDB table whose typed columns are derived from that schema by the
 *      generic mapper in test/helpers/warehouse-types.ts (NOT NULL where the schema says non-null);
 *   c. every record is inserted as typed values (nothing converted between kinds) and read back
 *      equal in every column: no value rejected, coerced or dropped.
 * Nothing here names a stream or a field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAULT_KINDS, type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { type CliResult, catalogFor, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type StreamData, formatFailures, formatLoads, loadIntoDuckDB, validateRecords } from "../helpers/warehouse-load.js";

/** Transient faults (every kind, slow ones past a short request timeout) on 2 % of requests, fixed seed. */
const FAULTS = { rate: 0.02, kinds: [...FAULT_KINDS], seed: 11 };

let sim: Simulator;
let streams: StreamData[] = [];
let read: CliResult;
let discoveredNames: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, size: "small", faults: FAULTS, slowMs: 1000 });
  const dir = tempDir("source-asana-typed-load-");
  // A service account reads every stream, the audit log included.
  const service = { credentials: { option_title: "Service Account Credentials", service_account_token: sim.serviceAccountToken } };
  const config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token, { _backoff_base_seconds: 0.05, request_timeout_seconds: 0.5, ...service }));
  const discover = await runAirbyte(["discover", "--config", config]);
  expect(discover.code, discover.stderr).toBe(0);
  const catalog = discover.messages.find((m) => m.type === "CATALOG")?.catalog;
  expect(catalog, "discover printed a CATALOG").toBeDefined();
  discoveredNames = catalog!.streams.map((s) => s.name);
  read = await runAirbyte(["read", "--config", config, "--catalog", writeJson(dir, "catalog.json", catalogFor(discoveredNames))], 150_000);
  streams = catalog!.streams.map((s) => ({ name: s.name, schema: s.json_schema, primaryKey: s.source_defined_primary_key, records: recordsOf(read.messages, s.name) }));
}, 180_000);

afterAll(async () => {
  await sim?.close();
});

describe("a typed load of one full read of every stream (small dataset, 2 % transient faults)", () => {
  it("the read succeeds through the faults, with records in every discovered stream", () => {
    expect(discoveredNames.length).toBeGreaterThan(0);
    expect(read.code, read.stderr.slice(0, 2000)).toBe(0);
    const injected = Object.values(sim.stats().faults).reduce((sum, n) => sum + (n ?? 0), 0);
    expect(injected, "faults were injected").toBeGreaterThan(0);
    expect(streams.filter((s) => s.records.length === 0).map((s) => s.name), "streams without records").toEqual([]);
  });

  it("every record validates against the schema discover published for its stream", () => {
    const report = validateRecords(streams);
    console.info(`schema validation: ${report.checked} records checked, ${report.failedRecords} failed`);
    expect(report.checked).toBe(streams.reduce((sum, s) => sum + s.records.length, 0));
    expect(report.failures.length, `schema failures (stream, keyword, path, count, example):\n${formatFailures(report.failures)}`).toBe(0);
  });

  it("every record loads into typed DuckDB columns and reads back unchanged (nothing rejected, coerced or dropped)", async () => {
    const report = await loadIntoDuckDB(streams);
    console.info(`DuckDB typed load (${report.failures.length} kinds of failure):\n${formatLoads(report.loads)}`);
    expect(report.failures.length, `load failures (stream, kind, path, count, example):\n${formatFailures(report.failures)}`).toBe(0);
    for (const load of report.loads) expect(load, load.stream).toEqual({ stream: load.stream, records: load.records, rowsLoaded: load.records, rowsEqual: load.records });
  });
});
