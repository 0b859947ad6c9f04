/**
 * A config written for release 1.0.0, with every key that release read (the three spec rate
 * settings, `request_timeout_seconds`, which it read without declaring it, and the underscore
 * test hooks), still validates and syncs in both protocols now that the spec declares every user
 * setting and the runtime takes them from its settings table.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { catalogFor, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { runTap } from "../helpers/singer.js";

const STREAMS = ["workspaces", "users", "projects"];

let sim: Simulator;
let configPath: string;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, size: "small" });
  dir = tempDir("source-asana-old-config-");
  configPath = writeJson(dir, "config.json", {
    credentials: { option_title: "PAT Credentials", personal_access_token: sim.token },
    start_date: "2020-01-01T00:00:00Z",
    base_url: sim.baseUrl,
    num_workers: 4,
    requests_per_second: 500,
    max_requests_per_second: 2000,
    request_timeout_seconds: 30,
    _backoff_base_seconds: 0.05,
    _checkpoint_interval_ms: 0,
  });
});

afterAll(async () => {
  await sim?.close();
});

describe("a config of release 1.0.0", () => {
  it("passes check", async () => {
    const result = await runAirbyte(["check", "--config", configPath], 30_000);
    expect(result.messages.map((m) => m.connectionStatus?.status).filter(Boolean)).toEqual(["SUCCEEDED"]);
  });

  it("reads with source-asana", async () => {
    const catalog = writeJson(dir, "catalog.json", catalogFor(STREAMS));
    const result = await runAirbyte(["read", "--config", configPath, "--catalog", catalog], 60_000);
    expect(result.code, result.stderr).toBe(0);
    for (const stream of STREAMS) {
      expect(recordsOf(result.messages, stream).length, stream).toBe([...sim.dataset.groundTruth(stream as never)].length);
    }
  });

  it("syncs with tap-asana", async () => {
    const result = await runTap(["--config", configPath]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/^ERROR/m);
  });
});
