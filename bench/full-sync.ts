/**
 * What the demo and bench:estimates share: the built Airbyte CLI run as a child process (its
 * stdout parsed line by line), the config and configured catalog of a full-refresh sync of
 * every stream the simulator's source discovers, a text table, and the script's exit.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Simulator } from "../integration_tests/simulator/index.js";
import { CLI } from "./sync-processes.js";

export { ROOT } from "./sync-processes.js";

export interface Message {
  type: string;
  record?: { stream: string };
  catalog?: { streams: Array<{ name: string; json_schema: unknown; supported_sync_modes: string[] }> };
  spec?: { connectionSpecification?: { properties?: Record<string, { default?: unknown }> } };
  trace?: {
    type: string;
    emitted_at: number;
    error?: { message: string; failure_type: string };
    estimate?: { name: string; row_estimate?: number };
    stream_status?: { stream_descriptor: { name: string }; status: string };
  };
  log?: { level: string; message: string };
}

/**
 * Runs the CLI with `args`, hands each stdout line and its message to `onMessage`, resolves with
 * the exit code. Its stderr is this process's (a terminal shows the CLI's live progress) or dropped.
 */
export function runCli(args: string[], onMessage: (line: string, message: Message) => void, stderr: "inherit" | "ignore" = "inherit"): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", stderr] });
    createInterface({ input: child.stdout }).on("line", (line) => onMessage(line, JSON.parse(line) as Message));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise(code ?? 1));
  });
}

/** Settings of an unthrottled run: no pacing to speak of, more workers. */
export const UNTHROTTLED = { requests_per_second: 1000, max_requests_per_second: 1000, num_workers: 16 };

export interface FullSync {
  configPath: string;
  catalogPath: string;
  streams: string[];
  /** The rate ceiling the sync runs under (requests a second): the config's, else the spec's default. */
  ceiling: number;
}

/** Writes the config (`settings` added) and, from `discover`, a catalog of every stream in full refresh, into `dir`. */
export async function prepareFullSync(sim: Simulator, dir: string, settings: Record<string, unknown>): Promise<FullSync> {
  const config = {
    credentials: { option_title: "PAT Credentials", personal_access_token: sim.token },
    base_url: sim.baseUrl,
    ...settings,
  };
  const configPath = resolve(dir, "demo-config.json");
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  let catalog: Message["catalog"];
  let defaultCeiling: unknown;
  await runCli(["spec"], (_line, m) => {
    defaultCeiling = m.spec?.connectionSpecification?.properties?.max_requests_per_second?.default;
  });
  const code = await runCli(["discover", "--config", configPath], (_line, m) => {
    if (m.type === "CATALOG") catalog = m.catalog;
  });
  if (code !== 0 || !catalog) throw new Error("discover failed");
  const configured = {
    streams: catalog.streams.map((stream) => ({ stream, sync_mode: "full_refresh", destination_sync_mode: "overwrite" })),
  };
  const catalogPath = resolve(dir, "demo-catalog.json");
  writeFileSync(catalogPath, JSON.stringify(configured, null, 2));
  const ceiling = Number(settings.max_requests_per_second ?? defaultCeiling);
  return { configPath, catalogPath, streams: catalog.streams.map((s) => s.name), ceiling };
}

/** Prints rows as columns: the first left-aligned, the others right-aligned. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
}

/** Runs a script's `main`: its result is the exit code; a failure is one line on stderr and exit 1. */
export function runScript(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
