/**
 * npm run demo: starts the Asana simulator on 127.0.0.1, runs `discover` and a full `read` of
 * every stream through the built CLI (exactly as Airbyte would), writes the messages to
 * out/demo-messages.jsonl, and prints records and requests per stream and the wall time.
 *
 *   npm run demo -- [--size small|medium|large] [--seed N] [--unthrottled]
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type DatasetSize, startSimulator } from "../integration_tests/simulator/index.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const CLI = resolve(ROOT, "dist/src/cli/airbyte.js");

interface Message {
  type: string;
  record?: { stream: string };
  catalog?: { streams: Array<{ name: string; json_schema: unknown; supported_sync_modes: string[] }> };
  trace?: { type: string; error?: { message: string; failure_type: string } };
  log?: { level: string; message: string };
}

/** Runs the CLI, hands each parsed stdout line to `onMessage`, resolves with the exit code. */
function runCli(args: string[], onMessage: (line: string, message: Message) => void): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    createInterface({ input: child.stdout }).on("line", (line) => onMessage(line, JSON.parse(line) as Message));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise(code ?? 1));
  });
}

/** Which stream a simulator route serves (for the per-stream request figures). */
function streamOfRoute(route: string): string {
  const table: Array<[RegExp, string]> = [
    [/^GET \/workspaces$/, "workspaces"],
    [/^GET \/users$/, "users"],
    [/^GET \/workspaces\/\{gid\}\/teams$/, "teams"],
    [/^GET \/teams\/\{gid\}\/team_memberships$/, "team_memberships"],
    [/^GET \/workspaces\/\{gid\}\/workspace_memberships$/, "workspace_memberships"],
    [/^GET \/projects$/, "projects"],
    [/^GET \/projects\/\{gid\}\/sections$/, "sections"],
    [/^GET \/tasks$/, "tasks"],
    [/^GET \/tasks\/\{gid\}\/subtasks$/, "subtasks"],
    [/^GET \/tags$/, "tags"],
    [/^GET \/tasks\/\{gid\}\/stories$/, "stories"],
    [/^GET \/attachments$/, "attachments"],
    [/^GET \/project_templates$/, "project_templates"],
    [/^GET \/status_updates$/, "status_updates"],
    [/^GET \/webhooks$/, "webhooks"],
  ];
  return table.find(([re]) => re.test(route))?.[1] ?? route;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "small" },
      seed: { type: "string", default: "1" },
      unthrottled: { type: "boolean", default: false },
    },
  });
  const size = values.size as DatasetSize;
  if (!["small", "medium", "large"].includes(size)) throw new Error(`--size must be small, medium or large (got ${size})`);
  const sim = await startSimulator({ seed: Number(values.seed), size });
  const outDir = resolve(ROOT, "out");
  mkdirSync(outDir, { recursive: true });
  try {
    console.log(`Asana simulator (seed ${values.seed}, size ${size}) at ${sim.baseUrl}`);
    const config = {
      credentials: { option_title: "PAT Credentials", personal_access_token: sim.token },
      base_url: sim.baseUrl,
      ...(values.unthrottled ? { requests_per_second: 1000, max_requests_per_second: 1000, num_workers: 16 } : {}),
    };
    const configPath = resolve(outDir, "demo-config.json");
    writeFileSync(configPath, JSON.stringify(config, null, 2));

    let catalog: Message["catalog"];
    const discoverCode = await runCli(["discover", "--config", configPath], (_line, m) => {
      if (m.type === "CATALOG") catalog = m.catalog;
    });
    if (discoverCode !== 0 || !catalog) throw new Error("discover failed");
    const configured = {
      streams: catalog.streams.map((stream) => ({ stream, sync_mode: "full_refresh", destination_sync_mode: "overwrite" })),
    };
    const catalogPath = resolve(outDir, "demo-catalog.json");
    writeFileSync(catalogPath, JSON.stringify(configured, null, 2));
    console.log(`discover: ${catalog.streams.length} streams; reading all of them (${values.unthrottled ? "unthrottled" : "default pacing: AIMD from 1.25 requests/s"})...`);

    sim.resetStats();
    const messagesPath = resolve(outDir, "demo-messages.jsonl");
    const out = createWriteStream(messagesPath);
    const records = new Map<string, number>();
    const errors: string[] = [];
    const started = Date.now();
    const code = await runCli(["read", "--config", configPath, "--catalog", catalogPath], (line, m) => {
      out.write(`${line}\n`);
      if (m.type === "RECORD") records.set(m.record!.stream, (records.get(m.record!.stream) ?? 0) + 1);
      if (m.type === "TRACE" && m.trace!.type === "ERROR") errors.push(`${m.trace!.error!.failure_type}: ${m.trace!.error!.message}`);
    });
    const seconds = (Date.now() - started) / 1000;
    await new Promise<void>((r) => out.end(r));

    const stats = sim.stats();
    const requests = new Map<string, number>();
    for (const [route, n] of Object.entries(stats.byRoute)) {
      const stream = streamOfRoute(route);
      requests.set(stream, (requests.get(stream) ?? 0) + n);
    }
    const rows = catalog.streams.map((s) => [s.name, String(records.get(s.name) ?? 0), String(requests.get(s.name) ?? 0)]);
    const totalRecords = [...records.values()].reduce((a, b) => a + b, 0);
    rows.push(["total", String(totalRecords), String(stats.total)]);
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ["stream", "records", "requests"][i]!.length));
    const fmt = (r: string[]): string => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}`;
    console.log(`\n${fmt(["stream", "records", "requests"])}`);
    for (const r of rows) console.log(fmt(r));
    const minimal = sim.dataset.minimalRequests();
    console.log(
      `\nwall time ${seconds.toFixed(1)} s, ${(stats.total / seconds).toFixed(1)} requests/s, ` +
        `${(totalRecords / seconds).toFixed(0)} records/s; minimal requests for this dataset: ${minimal.total}`,
    );
    console.log(`messages: ${messagesPath}`);
    for (const e of errors) console.log(`error: ${e}`);
    console.log(code === 0 ? "sync succeeded" : `sync failed (exit ${code})`);
    return code;
  } finally {
    await sim.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
