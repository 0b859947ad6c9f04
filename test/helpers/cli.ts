/** Runs the built CLI (dist/) as a child process, the way Airbyte does. */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { assertProtocolLines, stdoutLines, tapPrintsMessages } from "./protocol.js";
import { checkOutput } from "./secrets.js";
import { ROOT } from "./shared.js";

export const AIRBYTE_BIN = resolve(ROOT, "dist/src/cli/airbyte.js");
/** The Singer tap (singer.ts exports it too, as TAP_BIN); its lines are Singer messages. */
const SINGER_BIN = resolve(ROOT, "dist/src/cli/singer.js");

export interface AirbyteMessage {
  type: string;
  record?: { stream: string; data: Record<string, unknown>; emitted_at: number };
  state?: { type: string; stream: { stream_descriptor: { name: string }; stream_state: Record<string, unknown> }; sourceStats?: { recordCount: number } };
  trace?: {
    type: string;
    error?: { message: string; failure_type: string; internal_message?: string };
    stream_status?: { stream_descriptor: { name: string }; status: string; reasons?: unknown[] };
  };
  log?: { level: string; message: string };
  connectionStatus?: { status: string; message?: string };
  catalog?: { streams: Array<{ name: string; json_schema: Record<string, unknown>; supported_sync_modes: string[]; source_defined_primary_key?: string[][] }> };
  spec?: Record<string, unknown>;
}

export interface CliResult {
  code: number;
  lines: string[];
  messages: AirbyteMessage[];
  stderr: string;
}

export function tempDir(prefix = "source-asana-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

/**
 * Runs `node bin ...args` and SIGKILLs it right after the stdout line for which `stop(line, count)`
 * is true (`count` lines so far); resolves with the whole lines up to that one (all of them when
 * none stopped it), and exit code null when it was killed. Its outputs are checked for secrets, and
 * those whole lines against the protocol of `bin` (Singer for the tap, Airbyte otherwise).
 */
export function runUntilKilled(
  bin: string,
  args: string[],
  stop: (line: string, count: number) => boolean,
  timeoutMs = 60_000,
): Promise<{ lines: string[]; code: number | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const lines: string[] = [];
    let buffer = "";
    let stderr = "";
    let stopped = false;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while (!stopped && (nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (stop(line, lines.length)) {
          stopped = true;
          child.kill("SIGKILL");
        }
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      try {
        checkOutput(`stdout of ${args.join(" ")} (killed)`, lines.join("\n"));
        checkOutput(`stderr of ${args.join(" ")} (killed)`, stderr);
        if (resolve(bin) !== SINGER_BIN) assertProtocolLines(`stdout of ${args.join(" ")} (killed)`, "airbyte", lines);
        else if (tapPrintsMessages(args)) assertProtocolLines(`stdout of tap-asana ${args.join(" ")} (killed)`, "singer", lines);
      } catch (error) {
        reject(error);
        return;
      }
      resolvePromise({ lines, code: stopped ? null : code });
    });
  });
}

/** Runs `node dist/src/cli/airbyte.js ...args`, bounded by `timeoutMs`. */
export function runAirbyte(args: string[], timeoutMs = 120_000, bin = AIRBYTE_BIN): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI timed out after ${timeoutMs} ms: ${args.join(" ")}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      try {
        // Every output of every test that runs the CLI is a leak test (helpers/secrets.ts).
        checkOutput(`stdout of ${args.join(" ")}`, stdout);
        checkOutput(`stderr of ${args.join(" ")}`, stderr);
        // ... and a protocol test (helpers/protocol.ts).
        assertProtocolLines(`stdout of ${args.join(" ")}`, "airbyte", stdoutLines(stdout));
      } catch (error) {
        reject(error);
        return;
      }
      const lines = stdout.split("\n").filter((l) => l !== "");
      const messages = lines.map((l) => JSON.parse(l) as AirbyteMessage);
      resolvePromise({ code: code ?? -1, lines, messages, stderr });
    });
  });
}

export function recordsOf(messages: AirbyteMessage[], stream: string): Array<Record<string, unknown>> {
  return messages.filter((m) => m.type === "RECORD" && m.record!.stream === stream).map((m) => m.record!.data);
}

export function catalogFor(streams: string[], syncMode: "full_refresh" | "incremental" = "full_refresh"): unknown {
  return {
    streams: streams.map((name) => ({
      stream: { name, json_schema: {}, supported_sync_modes: ["full_refresh"] },
      sync_mode: syncMode,
      destination_sync_mode: "overwrite",
    })),
  };
}

/**
 * Test hooks: config keys starting with `_` that only tests set (src/engine/settings.ts,
 * TEST_HOOKS). They are not in the spec, so users never see them, and config validation skips
 * them (as Airbyte's CAT drops `_` keys):
 * - `_backoff_base_seconds` (default 1): the base of the exponential backoff between retries, and
 *   the OAuth token endpoint's retry delay; tests use 0.01-0.05 so retries take milliseconds;
 * - `_checkpoint_interval_ms` (default 1000): the minimum time between two checkpoints of a
 *   stream; 0 checkpoints after every partition (kill-and-resume tests);
 * - `_progress_interval_ms` (default 30000): the time between two progress summary lines when
 *   stderr is not a terminal.
 */

/** A config with any credentials, fast limits and short backoffs (auth and leak tests). */
export function credentialsConfig(baseUrl: string, credentials: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    credentials,
    base_url: baseUrl,
    requests_per_second: 500,
    max_requests_per_second: 2000,
    num_workers: 4,
    _backoff_base_seconds: 0.01,
    ...extra,
  };
}

export function patConfig(baseUrl: string, token: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    credentials: { option_title: "PAT Credentials", personal_access_token: token },
    base_url: baseUrl,
    requests_per_second: 500,
    max_requests_per_second: 2000,
    num_workers: 8,
    ...extra,
  };
}
