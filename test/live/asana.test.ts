/**
 * Opt-in, against real Asana (https://app.asana.com): a full read of every stream `discover`
 * publishes, then the same checks as test/e2e/typed-load.test.ts: every record validates against
 * its stream's discovered schema, and loads into typed DuckDB columns and reads back unchanged.
 *
 *   ASANA_TEST_TOKEN=<personal access token> npx vitest run test/live
 *
 * Skipped unless ASANA_TEST_TOKEN is set, so `npm test` and CI never reach the internet. The
 * connector has no workspace filter, so this syncs everything the token sees, with few requests
 * in flight (num_workers 4) and the connector's own pacing. Optional: ASANA_TEST_TIMEOUT_MINUTES
 * (default 30) bounds the read. The token is only ever written to a temporary config file (removed
 * afterwards) and is never printed: the connector's outputs are checked for it, and nothing
 * here logs the config.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, catalogFor, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type StreamData, formatFailures, formatLoads, loadIntoDuckDB, validateRecords } from "../helpers/warehouse-load.js";

const TOKEN = process.env.ASANA_TEST_TOKEN?.trim() ?? "";
const TIMEOUT_MS = Number(process.env.ASANA_TEST_TIMEOUT_MINUTES ?? 30) * 60_000;

const SKIP_NOTE = "live Asana test skipped: ASANA_TEST_TOKEN is not set (to run it: `ASANA_TEST_TOKEN=... npx vitest run test/live`)";
const TITLE = TOKEN ? "live Asana: a full read of every stream validates and loads into typed DuckDB columns" : SKIP_NOTE;
if (!TOKEN) console.warn(SKIP_NOTE);

/** Whether `text` carries the token (a boolean, so no assertion message can print it). */
const leaksToken = (text: string): boolean => TOKEN !== "" && text.includes(TOKEN);

describe.skipIf(!TOKEN)(TITLE, () => {
  let dir: string;
  let config: string;
  let read: CliResult;
  let streams: StreamData[] = [];

  beforeAll(async () => {
    expect(Number.isFinite(TIMEOUT_MS) && TIMEOUT_MS > 0, "ASANA_TEST_TIMEOUT_MINUTES is a positive number").toBe(true);
    dir = tempDir("source-asana-live-");
    config = writeJson(dir, "config.json", { credentials: { option_title: "PAT Credentials", personal_access_token: TOKEN }, num_workers: 4 });
    const check = await runAirbyte(["check", "--config", config]);
    expect(leaksToken(check.lines.join("\n") + check.stderr), "check's output contains the token").toBe(false);
    const status = check.messages.find((m) => m.type === "CONNECTION_STATUS")?.connectionStatus;
    expect(status?.status, `check: ${status?.message ?? check.stderr.slice(0, 500)}`).toBe("SUCCEEDED");
    const discover = await runAirbyte(["discover", "--config", config]);
    expect(leaksToken(discover.lines.join("\n") + discover.stderr), "discover's output contains the token").toBe(false);
    const catalog = discover.messages.find((m) => m.type === "CATALOG")?.catalog;
    expect(catalog, "discover printed a CATALOG").toBeDefined();
    const names = catalog!.streams.map((s) => s.name);
    read = await runAirbyte(["read", "--config", config, "--catalog", writeJson(dir, "catalog.json", catalogFor(names))], TIMEOUT_MS);
    streams = catalog!.streams.map((s) => ({ name: s.name, schema: s.json_schema, primaryKey: s.source_defined_primary_key, records: recordsOf(read.messages, s.name) }));
  }, TIMEOUT_MS + 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the read succeeds and never prints the token", () => {
    expect(leaksToken(read.lines.join("\n") + read.stderr), "read's output contains the token").toBe(false);
    const errors = read.messages.filter((m) => m.type === "TRACE" && m.trace?.type === "ERROR").map((m) => m.trace!.error!.message);
    expect(read.code, `errors: ${JSON.stringify(errors)}`).toBe(0);
    console.info(`live read: ${streams.map((s) => `${s.name} ${s.records.length}`).join(", ")}`);
  });

  it("every record validates against the schema discover published for its stream", () => {
    const report = validateRecords(streams);
    console.info(`schema validation: ${report.checked} records checked, ${report.failedRecords} failed`);
    expect(report.failures.length, `schema failures (stream, keyword, path, count, example):\n${formatFailures(report.failures)}`).toBe(0);
  });

  it("every record loads into typed DuckDB columns and reads back unchanged", async () => {
    const report = await loadIntoDuckDB(streams);
    console.info(`DuckDB typed load (${report.failures.length} kinds of failure):\n${formatLoads(report.loads)}`);
    expect(report.failures.length, `load failures (stream, kind, path, count, example):\n${formatFailures(report.failures)}`).toBe(0);
  }, 600_000);
});
