/**
 * End to end: the built CLI against the in-process simulator. Each selected stream must equal the
 * simulator's ground truth exactly (no missing gid, no duplicate, every field), and every line on
 * stdout must be a valid AirbyteMessage.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import {
  type AirbyteMessage,
  type CliResult,
  catalogFor,
  patConfig,
  recordsOf,
  runAirbyte,
  tempDir,
  writeJson,
} from "../helpers/cli.js";
import { airbyteMessageValidator, invalidMessages } from "../helpers/protocol.js";
import { skipNote } from "../helpers/shared.js";

const SLICE = ["workspaces", "users", "projects", "sections", "tasks"];

let sim: Simulator;
let dir: string;
let configPath: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, size: "small" });
  dir = tempDir();
  configPath = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token));
});

afterAll(async () => {
  await sim?.close();
});

function byGid(records: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return [...records].sort((a, b) => String(a.gid).localeCompare(String(b.gid)));
}

function statusesOf(messages: AirbyteMessage[], stream: string): string[] {
  return messages
    .filter((m) => m.type === "TRACE" && m.trace!.type === "STREAM_STATUS" && m.trace!.stream_status!.stream_descriptor.name === stream)
    .map((m) => m.trace!.stream_status!.status);
}

function expectValidProtocol(result: CliResult): void {
  if (!airbyteMessageValidator()) {
    console.warn(skipNote("airbyte/airbyte_protocol.yaml"));
    return;
  }
  expect(invalidMessages(result.messages)).toEqual([]);
}

describe("source-asana against the simulator", () => {
  it("spec prints one valid SPEC message", async () => {
    const result = await runAirbyte(["spec"]);
    expect(result.code).toBe(0);
    expect(result.messages.map((m) => m.type)).toEqual(["SPEC"]);
    expectValidProtocol(result);
  });

  it("check succeeds with a valid token and fails clearly with a bad one", async () => {
    const ok = await runAirbyte(["check", "--config", configPath]);
    expect(ok.code).toBe(0);
    expect(ok.messages.at(-1)!.connectionStatus).toEqual({ status: "SUCCEEDED" });
    const badConfig = writeJson(dir, "bad.json", patConfig(sim.baseUrl, "not-a-valid-token"));
    const bad = await runAirbyte(["check", "--config", badConfig]);
    expect(bad.code).toBe(0);
    expect(bad.messages.at(-1)!.connectionStatus!.status).toBe("FAILED");
    expect(bad.messages.at(-1)!.connectionStatus!.message).toMatch(/401|invalid or revoked/);
    expectValidProtocol(ok);
    expectValidProtocol(bad);
  });

  it("discover lists every manifest stream with its schema and primary key", async () => {
    const result = await runAirbyte(["discover", "--config", configPath]);
    expect(result.code).toBe(0);
    const catalog = result.messages.find((m) => m.type === "CATALOG")!.catalog!;
    const names = catalog.streams.map((s) => s.name);
    for (const name of SLICE) expect(names).toContain(name);
    expect(new Set(names).size).toBe(names.length);
    for (const stream of catalog.streams) {
      // A project can sit in several portfolios: an item's key names its portfolio.
      expect(stream.source_defined_primary_key).toEqual(stream.name === "portfolio_items" ? [["portfolio_gid"], ["gid"]] : [["gid"]]);
      expect(stream.supported_sync_modes).toContain("full_refresh");
      expect(Object.keys((stream.json_schema.properties as object) ?? {})).toContain("gid");
    }
    expectValidProtocol(result);
  });

  it("reads the core streams exactly as the ground truth", async () => {
    const catalogPath = writeJson(dir, "catalog.json", catalogFor(SLICE));
    const result = await runAirbyte(["read", "--config", configPath, "--catalog", catalogPath]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expectValidProtocol(result);
    for (const stream of SLICE) {
      const actual = recordsOf(result.messages, stream);
      const expected = [...sim.dataset.groundTruth(stream as never)];
      expect(expected.length, `${stream} ground truth is not empty`).toBeGreaterThan(0);
      const gids = actual.map((r) => r.gid);
      expect(new Set(gids).size, `${stream} has no duplicate gid`).toBe(gids.length);
      expect(byGid(actual), `${stream} equals the ground truth`).toEqual(byGid(expected));
      expect(statusesOf(result.messages, stream)).toEqual(["STARTED", "RUNNING", "COMPLETE"]);
      const states = result.messages.filter((m) => m.type === "STATE" && m.state!.stream.stream_descriptor.name === stream);
      // Checkpoints of complete partitions (resumable full refresh; with the records emitted in
      // open ones, for a stream with children), then "no position" at the end.
      expect(states.at(-1)!.state!.stream.stream_state).toEqual({ __ab_no_cursor_state_message: true });
      for (const m of states.slice(0, -1)) expect(["states", "states,emitted_keys"]).toContain(Object.keys(m.state!.stream.stream_state).join());
      expect(states.reduce((n, m) => n + m.state!.sourceStats!.recordCount, 0)).toBe(actual.length);
    }
    // The final STATE comes after the stream's last record.
    for (const stream of SLICE) {
      const lastRecord = result.messages.findLastIndex((m) => m.type === "RECORD" && m.record!.stream === stream);
      const state = result.messages.findLastIndex((m) => m.type === "STATE" && m.state!.stream.stream_descriptor.name === stream);
      expect(state).toBeGreaterThan(lastRecord);
    }
  });

  it("fails a read with a bad token as config_error and a non-zero exit", async () => {
    const badConfig = writeJson(dir, "bad-read.json", patConfig(sim.baseUrl, "not-a-valid-token"));
    const catalogPath = writeJson(dir, "catalog-ws.json", catalogFor(["workspaces", "projects"]));
    const result = await runAirbyte(["read", "--config", badConfig, "--catalog", catalogPath]);
    expect(result.code).not.toBe(0);
    const errors = result.messages.filter((m) => m.type === "TRACE" && m.trace!.type === "ERROR");
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.trace!.error!.failure_type).toBe("config_error");
    expect(statusesOf(result.messages, "workspaces").at(-1)).toBe("INCOMPLETE");
    expect(result.lines.join("\n")).not.toContain("not-a-valid-token");
    expectValidProtocol(result);
  });

  it("reports an unknown stream and an invalid sync mode with a TRACE error", async () => {
    const bogus = writeJson(dir, "bogus.json", {
      streams: [
        {
          stream: { name: "__AIRBYTE__stream_that_does_not_exist", json_schema: {}, supported_sync_modes: ["full_refresh"] },
          sync_mode: "INVALID",
          destination_sync_mode: "overwrite",
        },
      ],
    });
    const result = await runAirbyte(["read", "--config", configPath, "--catalog", bogus]);
    expect(result.code).not.toBe(0);
    const error = result.messages.find((m) => m.type === "TRACE" && m.trace!.type === "ERROR");
    expect(error!.trace!.error!.failure_type).toBe("config_error");
    expectValidProtocol(result);
  });
});
