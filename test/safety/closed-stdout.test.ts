/**
 * A reader that closes the connector's stdout early (`source-asana read ... | head -1`): the sync
 * ends by itself, quietly, with a non-zero exit: no uncaught `write EPIPE`, no stack trace, no
 * work left running (the process would otherwise outlive the test's own timeout). For both CLIs.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN, STREAM_NAMES, type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { AIRBYTE_BIN, catalogFor, patConfig, tempDir, writeJson } from "../helpers/cli.js";
import { checkOutput } from "../helpers/secrets.js";
import { TAP_BIN } from "../helpers/singer.js";

const dir = tempDir("source-asana-closed-stdout-");
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, size: "small", tokens: [DEFAULT_TOKEN] });
});

afterAll(async () => {
  await sim?.close();
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  firstLine: string;
  stderr: string;
}

/** Runs `node bin ...args`, reads its first stdout line, then closes stdout, like `| head -1`. */
function runIntoHead(bin: string, args: string[]): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let buffer = "";
    let firstLine: string | undefined;
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf("\n");
      if (firstLine === undefined && nl >= 0) {
        firstLine = buffer.slice(0, nl);
        child.stdout.destroy();
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      checkOutput(`first stdout line of ${args.join(" ")}`, firstLine ?? "");
      checkOutput(`stderr of ${args.join(" ")} (stdout closed)`, stderr);
      resolve({ code, signal, firstLine: firstLine ?? "", stderr });
    });
  });
}

function expectQuietEnd(ended: Ended): void {
  expect(ended.firstLine).not.toBe("");
  expect(ended.signal).toBeNull();
  expect(ended.code).not.toBe(0);
  expect(ended.stderr).not.toMatch(/^\s+at /m);
  expect(ended.stderr).not.toMatch(/EPIPE|Uncaught|Unhandled/i);
}

describe.concurrent("stdout closed by its reader after the first line", () => {
  const config = () => writeJson(dir, "config.json", patConfig(sim.baseUrl, DEFAULT_TOKEN, { num_workers: 4 }));

  it("source-asana read ends quietly, non-zero, by itself", async () => {
    const catalog = writeJson(dir, "catalog.json", catalogFor([...STREAM_NAMES]));
    expectQuietEnd(await runIntoHead(AIRBYTE_BIN, ["read", "--config", config(), "--catalog", catalog]));
  });

  it("tap-asana ends quietly, non-zero, by itself", async () => {
    expectQuietEnd(await runIntoHead(TAP_BIN, ["--config", config()]));
  });
});
