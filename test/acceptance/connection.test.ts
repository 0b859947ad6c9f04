/**
 * CAT TestConnection: `check` with the sample config (succeed), the invalid config (failed), and
 * an unreachable host (failed or exception), against the simulator.
 */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { simulatorConfig, traceErrors } from "../helpers/acceptance.js";
import { type CliResult, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { airbyteMessageValidator, invalidMessages } from "../helpers/protocol.js";
import { skipNote } from "../helpers/shared.js";

let sim: Simulator;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, size: "small" });
  dir = tempDir("source-asana-cat-check-");
});

afterAll(async () => {
  await sim?.close();
});

function statuses(result: CliResult): Array<{ status: string; message?: string }> {
  return result.messages.filter((m) => m.type === "CONNECTION_STATUS").map((m) => m.connectionStatus!);
}

function expectValidProtocol(result: CliResult): void {
  if (!airbyteMessageValidator()) console.warn(skipNote("airbyte/airbyte_protocol.yaml"));
  else expect(invalidMessages(result.messages)).toEqual([]);
}

/** A 127.0.0.1 port that nothing listens on: bind an ephemeral port, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("CAT connection", () => {
  it("succeed: the sample config gives exactly one CONNECTION_STATUS, SUCCEEDED", async () => {
    const result = await runAirbyte(["check", "--config", simulatorConfig(sim, "sample_config.json", dir)], 30_000);
    expect(result.code).toBe(0);
    expect(statuses(result)).toEqual([{ status: "SUCCEEDED" }]);
    expectValidProtocol(result);
  });

  it("failed: the invalid config gives exactly one CONNECTION_STATUS, FAILED, with a message", async () => {
    const result = await runAirbyte(["check", "--config", simulatorConfig(sim, "invalid_config.json", dir)], 30_000);
    expect(result.code).toBe(0);
    const [status, ...rest] = statuses(result);
    expect(rest).toEqual([]);
    expect(status?.status).toBe("FAILED");
    expect(status?.message).toMatch(/401|credentials|token/i);
    expect(result.lines.join("\n")).not.toContain("0/not-a-valid-asana-token");
    expectValidProtocol(result);
  });

  it("failed: a config that does not match the spec gives CONNECTION_STATUS FAILED naming the field", async () => {
    const config = writeJson(dir, "no-credentials.json", { base_url: sim.baseUrl });
    const result = await runAirbyte(["check", "--config", config], 30_000);
    const [status, ...rest] = statuses(result);
    expect(rest).toEqual([]);
    expect(status?.status).toBe("FAILED");
    expect(status?.message).toMatch(/credentials/);
    expectValidProtocol(result);
  });

  it("an unreachable host ends in FAILED or a TRACE error with a message, in bounded time", async () => {
    const port = await closedPort();
    // _backoff_base_seconds is a test-only key (CAT drops `_` keys): the retries back off in
    // 50 ms steps instead of seconds, so the bound stays short. With the default (1 s) the same
    // check ends after about 21 s, inside CAT's 30 s timeout for connection tests.
    const unreachable = { baseUrl: `http://127.0.0.1:${port}/api/1.0`, token: sim.token, serviceAccountToken: sim.serviceAccountToken };
    const config = simulatorConfig(unreachable, "sample_config.json", dir, {
      _backoff_base_seconds: 0.05,
    });
    const result = await runAirbyte(["check", "--config", config], 30_000);
    const failed = statuses(result).filter((s) => s.status === "FAILED");
    const errors = traceErrors(result.messages);
    expect(failed.length + errors.length, "a FAILED status or a TRACE error").toBeGreaterThan(0);
    expect(statuses(result).some((s) => s.status === "SUCCEEDED")).toBe(false);
    const message = failed[0]?.message ?? errors[0]?.trace?.error?.message ?? "";
    expect(message).toMatch(new RegExp(`ECONNREFUSED|${port}|connect`));
    expectValidProtocol(result);
  });
});
