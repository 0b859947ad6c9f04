/**
 * Progress as a person sees it, through the built CLIs: on a terminal (a pseudo-terminal made by
 * `script(1)`, stdout redirected to a file) the live block is redrawn in place, and its updates
 * are counted (log-update wraps each one in the terminal's synchronized-output sequences); without
 * a terminal, or in CI, stderr holds no control character, and progress comes as summary lines.
 * ESTIMATE messages are checked against the protocol by the helpers that run the CLI.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { AIRBYTE_BIN, type AirbyteMessage, catalogFor, patConfig, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { assertProtocolLines, stdoutLines } from "../helpers/protocol.js";
import { checkOutput } from "../helpers/secrets.js";
import { TAP_BIN, runTap } from "../helpers/singer.js";

const STREAMS = ["workspaces", "users", "projects", "tasks", "stories"];
/** One update of the live block: log-update brackets each write with these. */
const FRAME_START = "\x1b[?2026h";
/** Control characters other than newline and tab. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

const hasScript = spawnSync("script", ["--version"]).status === 0;

let sim: Simulator;
let dir: string;
let configPath: string;
let catalogPath: string;
/** The tap reads every stream (no catalog): a faster pace for it. */
let tapConfigPath: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, size: "small" });
  dir = tempDir();
  // Paced (about 3 s for the ~80 requests), so the live block is drawn more than once; summary lines every 200 ms.
  configPath = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token, { requests_per_second: 30, max_requests_per_second: 30, num_workers: 4, _progress_interval_ms: 200 }));
  catalogPath = writeJson(dir, "catalog.json", catalogFor(STREAMS));
  tapConfigPath = writeJson(dir, "tap-config.json", patConfig(sim.baseUrl, sim.token, { requests_per_second: 60, max_requests_per_second: 60, num_workers: 4, _progress_interval_ms: 200 }));
});

afterAll(async () => {
  await sim?.close();
});

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `node bin args > stdoutFile` under a pseudo-terminal of 120 × 40 (stderr is the terminal);
 * resolves with the exit code and everything the terminal received.
 */
function runOnTerminal(bin: string, args: string[], stdoutFile: string, env: NodeJS.ProcessEnv): Promise<{ code: number; terminal: string }> {
  const command = `stty cols 120 rows 40; exec ${[process.execPath, bin, ...args].map(quote).join(" ")} > ${quote(stdoutFile)}`;
  return new Promise((resolvePromise, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"], env });
    let terminal = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (terminal += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, terminal });
    });
  });
}

/** The environment of a person at a terminal: no CI variable, a capable TERM. */
function terminalEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { CI: _ci, ...env } = process.env;
  void _ci;
  return { ...env, TERM: "xterm-256color", ...extra };
}

function estimatesOf(messages: AirbyteMessage[]): Array<{ name: string; type: string; row_estimate: number }> {
  return messages
    .filter((m) => m.type === "TRACE" && m.trace!.type === "ESTIMATE")
    .map((m) => (m.trace as unknown as { estimate: { name: string; type: string; row_estimate: number } }).estimate);
}

describe.skipIf(!hasScript)("on a terminal", () => {
  it("source-asana read redraws a live block on stderr, several times, ending with every stream done", async () => {
    const out = join(dir, "airbyte-tty.jsonl");
    const { code, terminal } = await runOnTerminal(AIRBYTE_BIN, ["read", "--config", configPath, "--catalog", catalogPath], out, terminalEnv());
    expect(code).toBe(0);
    const stdout = readFileSync(out, "utf8");
    checkOutput("stdout of read on a terminal", stdout);
    checkOutput("terminal of read", terminal);
    assertProtocolLines("stdout of read on a terminal", "airbyte", stdoutLines(stdout));
    const frames = terminal.split(FRAME_START).slice(1);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    const last = frames.at(-1)!;
    for (const stream of STREAMS) expect(last).toMatch(new RegExp(`done ${stream}\\b`));
    expect(last).toMatch(/\d+ requests, [\d.]+\/s of 30\.0\/s, 0 rate limited \(429\); .* elapsed, every stream read/);
    // The person sees the block; the log lines on stdout are not progress lines too.
    expect(stdout).not.toContain("Progress: ");
  });

  it("tap-asana draws it too, and its log lines on the same terminal stay readable", async () => {
    const out = join(dir, "tap-tty.jsonl");
    const { code, terminal } = await runOnTerminal(TAP_BIN, ["--config", tapConfigPath], out, terminalEnv());
    expect(code).toBe(0);
    checkOutput("terminal of tap-asana", terminal);
    expect(terminal.split(FRAME_START).length - 1).toBeGreaterThanOrEqual(2);
    // The sync's closing line is written after the block, on a line of its own.
    expect(terminal).toMatch(/\n(\x1b\[\?2026l)?INFO Read .* requests/);
  });

  it("in CI (CI=true) the terminal gets no control character", async () => {
    const out = join(dir, "airbyte-ci.jsonl");
    const { code, terminal } = await runOnTerminal(AIRBYTE_BIN, ["read", "--config", configPath, "--catalog", catalogPath], out, terminalEnv({ CI: "true" }));
    expect(code).toBe(0);
    // A pseudo-terminal turns "\n" into "\r\n": only those carriage returns are allowed.
    expect(terminal.replace(/\r\n/g, "\n")).not.toMatch(CONTROL);
    expect(readFileSync(out, "utf8")).toContain("Progress: ");
  });
});

describe("without a terminal", () => {
  it("source-asana read sends valid ESTIMATE messages and summary LOG lines; stderr has no control character", async () => {
    const result = await runAirbyte(["read", "--config", configPath, "--catalog", catalogPath]);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(CONTROL);
    const estimates = estimatesOf(result.messages);
    expect(estimates.length).toBeGreaterThan(0);
    for (const estimate of estimates) {
      expect(estimate.type).toBe("STREAM");
      expect(STREAMS).toContain(estimate.name);
      expect(Number.isInteger(estimate.row_estimate)).toBe(true);
    }
    // Never after the stream's last status.
    const completeAt = new Map<string, number>();
    result.messages.forEach((m, i) => {
      if (m.type === "TRACE" && m.trace!.type === "STREAM_STATUS" && m.trace!.stream_status!.status === "COMPLETE") {
        completeAt.set(m.trace!.stream_status!.stream_descriptor.name, i);
      }
    });
    result.messages.forEach((m, i) => {
      if (m.type === "TRACE" && m.trace!.type === "ESTIMATE") {
        const name = (m.trace as unknown as { estimate: { name: string } }).estimate.name;
        expect(i).toBeLessThan(completeAt.get(name)!);
      }
    });
    const summaries = result.messages.filter((m) => m.type === "LOG" && m.log!.message.startsWith("Progress: "));
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries.every((m) => m.log!.level === "INFO")).toBe(true);
  });

  it("tap-asana writes summary lines at INFO on stderr, with no control character", async () => {
    const result = await runTap(["--config", tapConfigPath]);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(CONTROL);
    expect(result.stderr).toMatch(/^INFO Progress: \d+ requests/m);
  });
});
