/**
 * CAT TestIncremental, generic over every stream whose discover output lists `incremental`:
 * two sequential reads with the first read's state fed back (the records must differ), states
 * whose cursor never goes back, and a state from the far future (year 2999) that yields no
 * records. While no stream is incremental, the suite checks that acceptance-test-config.yml
 * bypasses incremental, and it fails the day an incremental stream appears without tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { acceptanceConfig, catalogStreams, projectFile, simulatorConfig } from "../helpers/acceptance.js";
import { type AirbyteMessage, type CliResult, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type Json, isObject } from "../helpers/schema-rules.js";

// Discover makes no request: the committed sample config is enough, at collection time.
const discovered = catalogStreams((await runAirbyte(["discover", "--config", projectFile("integration_tests/sample_config.json")], 30_000)).messages);
const incremental = discovered.filter((s) => s.supported_sync_modes.includes("incremental"));

describe("CAT incremental: configuration", () => {
  it("acceptance-test-config.yml tests incremental exactly when a stream supports it", () => {
    const section = acceptanceConfig().acceptance_tests.incremental;
    if (incremental.length === 0) {
      console.warn(
        "No stream supports incremental sync: the incremental acceptance tests have nothing to run. " +
          `acceptance-test-config.yml must bypass them (bypass_reason: ${JSON.stringify(section?.bypass_reason)}).`,
      );
      expect(section?.bypass_reason, "incremental.bypass_reason in acceptance-test-config.yml").toBeTruthy();
      expect(section?.tests).toBeUndefined();
    } else {
      expect(section?.bypass_reason, `streams ${incremental.map((s) => s.name).join(", ")} are incremental: remove the bypass and configure incremental tests`).toBeUndefined();
      expect(section?.tests?.length ?? 0).toBeGreaterThan(0);
    }
  });
});

// --- the generic tests (they run as soon as discover lists an incremental stream) -----------

type StateEntry = { type: "STREAM"; stream: { stream_descriptor: { name: string }; stream_state: Record<string, unknown> } };

/** The last state of every stream, in the state-file form (an array of AirbyteStateMessage). */
function latestStates(result: CliResult): StateEntry[] {
  const last = new Map<string, StateEntry>();
  for (const m of result.messages) {
    if (m.type !== "STATE" || m.state?.type !== "STREAM") continue;
    const { stream_descriptor, stream_state } = m.state.stream;
    last.set(stream_descriptor.name, { type: "STREAM", stream: { stream_descriptor: { name: stream_descriptor.name }, stream_state } });
  }
  return [...last.values()];
}

const DATE_PREFIX = /^\d{4}(-\d{2}-\d{2})/;

/** Every date-like string and numeric cursor in a state blob, as epoch ms. */
function cursorTimes(value: unknown, cursorField: string | undefined, key?: string): number[] {
  if (typeof value === "string" && DATE_PREFIX.test(value)) {
    const t = Date.parse(value.replace(" ", "T"));
    return Number.isNaN(t) ? [] : [t];
  }
  if (typeof value === "number" && key !== undefined && key === cursorField) return [value < 1e11 ? value * 1000 : value];
  if (Array.isArray(value)) return value.flatMap((v) => cursorTimes(v, cursorField));
  if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => cursorTimes(v, cursorField, k));
  return [];
}

/** The same state with every date moved to the year 2999 (format kept) and numeric cursors to 2999-12-31. */
function futureState(value: Json, cursorField: string | undefined, key?: string): Json {
  if (typeof value === "string" && DATE_PREFIX.test(value)) return value.replace(/^\d{4}/, "2999");
  if (typeof value === "number" && key !== undefined && key === cursorField) {
    const ms = Date.UTC(2999, 11, 31);
    return value < 1e11 ? ms / 1000 : ms;
  }
  if (Array.isArray(value)) return value.map((v) => futureState(v, cursorField));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, futureState(v, cursorField, k)]));
  return value;
}

function recordsOf(result: CliResult, stream: string): Array<Record<string, unknown>> {
  return result.messages.filter((m: AirbyteMessage) => m.type === "RECORD" && m.record!.stream === stream).map((m) => m.record!.data);
}

describe.runIf(incremental.length > 0)("CAT incremental: sequential reads and future state", () => {
  let sim: Simulator;
  let dir: string;
  let configPath: string;
  let catalogPath: string;
  let first: CliResult;
  let second: CliResult;

  const cursorOf = new Map(incremental.map((s) => [s.name, s.default_cursor_field?.at(-1)]));

  beforeAll(async () => {
    sim = await startSimulator({ seed: 7, size: "small" });
    dir = tempDir("source-asana-cat-incremental-");
    configPath = simulatorConfig(sim, "sample_config.json", dir);
    catalogPath = writeJson(dir, "catalog.json", {
      streams: incremental.map((s) => ({
        stream: s,
        sync_mode: "incremental",
        destination_sync_mode: "append",
        cursor_field: s.default_cursor_field ?? [],
        primary_key: s.source_defined_primary_key ?? [],
      })),
    });
    first = await runAirbyte(["read", "--config", configPath, "--catalog", catalogPath], 90_000);
    const statePath = writeJson(dir, "state.json", latestStates(first));
    second = await runAirbyte(["read", "--config", configPath, "--catalog", catalogPath, "--state", statePath], 90_000);
  });

  afterAll(async () => {
    await sim?.close();
  });

  it("the first read emits records and at least one state per stream", () => {
    expect(first.code).toBe(0);
    for (const s of incremental) {
      expect(recordsOf(first, s.name).length, `${s.name} records`).toBeGreaterThan(0);
      expect(latestStates(first).some((e) => e.stream.stream_descriptor.name === s.name), `${s.name} state`).toBe(true);
    }
  });

  it("a second read from the first read's state emits different records (test_two_sequential_reads)", () => {
    expect(second.code).toBe(0);
    for (const s of incremental) {
      expect(recordsOf(second, s.name), s.name).not.toEqual(recordsOf(first, s.name));
    }
  });

  it("the cursor in successive states never goes back", () => {
    for (const s of incremental) {
      const cursors = first.messages
        .filter((m) => m.type === "STATE" && m.state?.stream.stream_descriptor.name === s.name)
        .map((m) => Math.max(...cursorTimes(m.state!.stream.stream_state, cursorOf.get(s.name))));
      const known = cursors.filter((c) => Number.isFinite(c));
      expect(known.length, `${s.name}: states carry a cursor`).toBeGreaterThan(0);
      known.forEach((c, i) => {
        if (i > 0) expect(c, `${s.name}: state ${i} cursor`).toBeGreaterThanOrEqual(known[i - 1]!);
      });
    }
  });

  it("the committed integration_tests/abnormal_state.json (global cursors, for Airbyte's CAT) yields no records", async () => {
    const catalogFile = projectFile("integration_tests/configured_catalog_incremental.json");
    const result = await runAirbyte(
      ["read", "--config", configPath, "--catalog", catalogFile, "--state", projectFile("integration_tests/abnormal_state.json")],
      90_000,
    );
    expect(result.code).toBe(0);
    expect(result.messages.filter((m) => m.type === "RECORD")).toEqual([]);
    expect(result.messages.filter((m) => m.type === "STATE").length).toBeGreaterThan(0);
  });

  it("a state in the year 2999 yields no records and at least one state (test_state_with_abnormally_large_values)", async () => {
    const future = latestStates(first).map((e) => ({
      ...e,
      stream: { ...e.stream, stream_state: futureState(e.stream.stream_state as Json, cursorOf.get(e.stream.stream_descriptor.name)) },
    }));
    const result = await runAirbyte(["read", "--config", configPath, "--catalog", catalogPath, "--state", writeJson(dir, "future.json", future)], 90_000);
    expect(result.code).toBe(0);
    expect(result.messages.filter((m) => m.type === "RECORD")).toEqual([]);
    expect(result.messages.filter((m) => m.type === "STATE").length).toBeGreaterThan(0);
  });
});
