/**
 * CAT TestFullRefresh (test_sequential_reads): two full-refresh reads of
 * integration_tests/configured_catalog.json, one after the other, against the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { projectFile, simulatorConfig } from "../helpers/acceptance.js";
import { type AirbyteMessage, type CliResult, runAirbyte, tempDir } from "../helpers/cli.js";

let sim: Simulator;
let first: CliResult;
let second: CliResult;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, size: "small" });
  const configPath = simulatorConfig(sim, "sample_config.json", tempDir("source-asana-cat-fr-"));
  const args = ["read", "--config", configPath, "--catalog", projectFile("integration_tests/configured_catalog.json")];
  first = await runAirbyte(args, 90_000);
  await new Promise((r) => setTimeout(r, 100)); // CAT waits 0.1 s between the reads
  second = await runAirbyte(args, 90_000);
});

afterAll(async () => {
  await sim?.close();
});

function records(result: CliResult): AirbyteMessage[] {
  return result.messages.filter((m) => m.type === "RECORD");
}

/** Records without emitted_at, as sorted canonical JSON lines (order across streams is not part of the contract). */
function canonical(result: CliResult): string[] {
  return records(result)
    .map((m) => JSON.stringify({ stream: m.record!.stream, data: m.record!.data }))
    .sort();
}

describe("CAT full refresh", () => {
  it("both reads succeed with records", () => {
    for (const result of [first, second]) {
      expect(result.code).toBe(0);
      expect(records(result).length).toBeGreaterThan(0);
    }
  });

  it("every record of the second read was emitted after every record of the first", () => {
    const lastOfFirst = Math.max(...records(first).map((m) => m.record!.emitted_at));
    const firstOfSecond = Math.min(...records(second).map((m) => m.record!.emitted_at));
    expect(lastOfFirst).toBeLessThan(firstOfSecond);
  });

  it("the two reads emit the same records, apart from emitted_at", () => {
    const a = canonical(first);
    const b = canonical(second);
    expect(a.length).toBe(b.length);
    expect(a).toEqual(b);
  });
});
