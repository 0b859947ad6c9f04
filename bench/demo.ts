/**
 * npm run demo: starts the Asana simulator on 127.0.0.1, runs `discover` and a full `read` of
 * every stream through the built CLI (exactly as Airbyte would), writes the messages to
 * out/demo-messages.jsonl, and prints records, requests and wall time per stream, the total wall
 * time, and the ideal time: the dataset's minimal requests at the rate ceiling the sync ran under.
 * On a terminal the CLI's live progress shows on stderr while it runs; without one, its progress
 * summary lines (every 30 s) are echoed.
 *
 *   npm run demo -- [--size small|medium|large] [--seed N] [--unthrottled]
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type DatasetSize, startSimulator } from "../integration_tests/simulator/index.js";
import { type Message, ROOT, UNTHROTTLED, prepareFullSync, printTable, runCli, runScript } from "./full-sync.js";

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
    [/^GET \/workspaces\/\{gid\}\/custom_fields$/, "custom_fields"],
    [/^GET \/(projects|portfolios)\/\{gid\}\/custom_field_settings$/, "custom_field_settings"],
    [/^GET \/task_templates$/, "task_templates"],
    [/^GET \/portfolios$/, "portfolios"],
    [/^GET \/portfolios\/\{gid\}\/items$/, "portfolio_items"],
    [/^GET \/goals$/, "goals"],
    [/^GET \/goal_relationships$/, "goal_relationships"],
    [/^GET \/time_periods$/, "time_periods"],
    [/^GET \/workspaces\/\{gid\}\/audit_log_events$/, "audit_log_events"],
  ];
  return table.find(([re]) => re.test(route))?.[1] ?? route;
}

/** Seconds between a stream's first RUNNING status and its last status (COMPLETE or INCOMPLETE). */
class StreamClock {
  private readonly running = new Map<string, number>();
  private readonly ended = new Map<string, number>();

  note(m: Message): void {
    const status = m.trace?.type === "STREAM_STATUS" ? m.trace.stream_status : undefined;
    if (!status) return;
    const name = status.stream_descriptor.name;
    if (status.status === "RUNNING" && !this.running.has(name)) this.running.set(name, m.trace!.emitted_at);
    if (status.status === "COMPLETE" || status.status === "INCOMPLETE") this.ended.set(name, m.trace!.emitted_at);
  }

  seconds(name: string): number | undefined {
    const from = this.running.get(name);
    const to = this.ended.get(name);
    return from === undefined || to === undefined ? undefined : (to - from) / 1000;
  }
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
    const sync = await prepareFullSync(sim, outDir, values.unthrottled ? UNTHROTTLED : {});
    const pacing = values.unthrottled ? "unthrottled" : `default pacing: AIMD from 1.25 requests/s up to ${sync.ceiling}/s`;
    console.log(`discover: ${sync.streams.length} streams; reading all of them (${pacing})...`);
    // On a terminal the CLI draws its live progress on stderr (ours); else it logs a summary every 30 s, echoed here.
    const echoProgress = process.stderr.isTTY !== true;

    sim.resetStats();
    const messagesPath = resolve(outDir, "demo-messages.jsonl");
    const out = createWriteStream(messagesPath);
    const records = new Map<string, number>();
    const clock = new StreamClock();
    const errors: string[] = [];
    const started = Date.now();
    const code = await runCli(["read", "--config", sync.configPath, "--catalog", sync.catalogPath], (line, m) => {
      out.write(`${line}\n`);
      if (m.type === "RECORD") records.set(m.record!.stream, (records.get(m.record!.stream) ?? 0) + 1);
      if (m.type === "TRACE" && m.trace!.type === "ERROR") errors.push(`${m.trace!.error!.failure_type}: ${m.trace!.error!.message}`);
      if (echoProgress && m.type === "LOG" && m.log!.message.startsWith("Progress: ")) console.log(m.log!.message);
      clock.note(m);
    });
    const seconds = (Date.now() - started) / 1000;
    await new Promise<void>((r) => out.end(r));

    const stats = sim.stats();
    const requests = new Map<string, number>();
    for (const [route, n] of Object.entries(stats.byRoute)) {
      const stream = streamOfRoute(route);
      requests.set(stream, (requests.get(stream) ?? 0) + n);
    }
    const minimal = sim.dataset.minimalRequests();
    const ideal = (n: number): string => (n / sync.ceiling).toFixed(1);
    const rows = [["stream", "records", "requests", "wall s", `ideal s at ${sync.ceiling}/s`]];
    for (const name of sync.streams) {
      const wall = clock.seconds(name);
      const needed = (minimal.byStream as Record<string, number>)[name] ?? 0;
      rows.push([name, String(records.get(name) ?? 0), String(requests.get(name) ?? 0), wall === undefined ? "—" : wall.toFixed(1), ideal(needed)]);
    }
    // Requests to routes the table above does not attribute to a stream (the Events API, lookups).
    const listed = new Set(sync.streams);
    const other = [...requests].filter(([stream]) => !listed.has(stream)).reduce((sum, [, n]) => sum + n, 0);
    if (other) rows.push(["(other routes)", "", String(other), "", ""]);
    const totalRecords = [...records.values()].reduce((a, b) => a + b, 0);
    rows.push(["total", String(totalRecords), String(stats.total), seconds.toFixed(1), ideal(minimal.total)]);
    console.log("");
    printTable(rows);
    console.log(
      `\nwall time ${seconds.toFixed(1)} s, ${(stats.total / seconds).toFixed(1)} requests/s, ` +
        `${(totalRecords / seconds).toFixed(0)} records/s; minimal requests for this dataset: ${minimal.total}, ` +
        `ideal time at the ceiling of ${sync.ceiling} requests/s: ${ideal(minimal.total)} s`,
    );
    console.log("(a stream's wall time runs from its first page to its end, overlapping the others'; its ideal time is its minimal requests at the ceiling)");
    console.log(`messages: ${messagesPath}`);
    for (const e of errors) console.log(`error: ${e}`);
    console.log(code === 0 ? "sync succeeded" : `sync failed (exit ${code})`);
    return code;
  } finally {
    await sim.close();
  }
}

runScript("demo", main);
