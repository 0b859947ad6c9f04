/**
 * The protocol check every CLI-running helper applies to stdout (helpers/protocol.ts,
 * helpers/singer-envelope.ts): it passes what the writers send, and it catches bad messages, so it
 * cannot pass silently.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AirbyteWriter } from "../../src/protocol/airbyte.js";
import { LogLines } from "../../src/protocol/log-lines.js";
import { LineOutput } from "../../src/protocol/output.js";
import { Redactor } from "../../src/protocol/redact.js";
import { SingerWriter } from "../../src/protocol/singer.js";
import { tempDir } from "../helpers/cli.js";
import { airbyteMessageValidator, assertNoViolations, assertProtocolLines, protocolViolations, stdoutLines, tapPrintsMessages } from "../helpers/protocol.js";
import { skipNote } from "../helpers/shared.js";
import { singerEnvelopeProblem } from "../helpers/singer-envelope.js";
import { SingerTarget, type TargetSummary } from "../helpers/singer-target.js";

/** The lines a writer prints on stdout. */
async function linesOf<W>(make: (out: LineOutput) => W, run: (writer: W) => Promise<void>): Promise<string[]> {
  const stdout = new PassThrough();
  let text = "";
  stdout.on("data", (d: Buffer) => (text += d.toString()));
  const out = new LineOutput(stdout, new Redactor());
  await run(make(out));
  await out.flush();
  return stdoutLines(text);
}

const line = (message: unknown): string => JSON.stringify(message);

const RECORD = { type: "RECORD", record: { stream: "tasks", data: { gid: "1" }, emitted_at: 1_712_345_678_901 } };
const RATE_LIMITED = (quotaReset: number): unknown => ({
  type: "TRACE",
  trace: {
    type: "STREAM_STATUS",
    emitted_at: 1_712_345_678_901.25,
    stream_status: { stream_descriptor: { name: "tasks" }, status: "RUNNING", reasons: [{ type: "RATE_LIMITED", rate_limited: { quota_reset: quotaReset } }] },
  },
});

const hasProtocol = airbyteMessageValidator() !== null;
if (!hasProtocol) console.warn(skipNote("airbyte/airbyte_protocol.yaml"));

describe.skipIf(!hasProtocol)("the Airbyte check (airbyte_protocol.yaml)", () => {
  it("is compiled once per worker", () => {
    expect(airbyteMessageValidator()).toBe(airbyteMessageValidator());
  });

  it("passes every kind of message AirbyteWriter sends, a rate limit with a fractional reset included", async () => {
    const lines = await linesOf(
      (out) => new AirbyteWriter(out),
      async (w) => {
        await w.spec({ connectionSpecification: { type: "object" } });
        await w.connectionStatus("SUCCEEDED");
        await w.connectionStatus("FAILED", "no access");
        await w.catalog([{ name: "tasks", json_schema: { type: "object" }, supported_sync_modes: ["full_refresh", "incremental"], source_defined_primary_key: [["gid"]] }]);
        await w.streamStatus("tasks", "STARTED");
        await w.record("tasks", { gid: "1" });
        await w.rateLimited("tasks", Date.now() + 1234.567);
        await w.state("tasks", { modified_at: "2024-01-01T00:00:00Z" });
        await w.log("WARN", "slow");
        await w.error("boom", "system_error", "stack", "tasks");
        await w.streamStatus("tasks", "INCOMPLETE");
      },
    );
    expect(lines).toHaveLength(11);
    expect(protocolViolations("airbyte", lines)).toEqual([]);
    const reset = (JSON.parse(lines[6]!) as { trace: { stream_status: { reasons: Array<{ rate_limited: { quota_reset: number } }> } } }).trace.stream_status.reasons[0]!
      .rate_limited.quota_reset;
    expect(Number.isInteger(reset)).toBe(true);
  });

  it("names the line number, the message type and the ajv error of each bad line", () => {
    const lines = [
      line(RECORD),
      line(RATE_LIMITED(1_712_345_678_901.5)),
      line({ type: "RECORD", record: { stream: "tasks", data: { gid: "1" } } }),
      line({ type: "RECORD" }),
      line({ type: "TRACE", trace: { type: "ERROR", emitted_at: 1 } }),
      line({ type: "STATE", state: { type: "STREAM", stream: { stream_state: {} } } }),
      line({ type: "LOG", log: { level: "NOTICE", message: "x" } }),
      line({ type: "RECORDS", record: RECORD.record }),
      "not json",
      "",
      line(RATE_LIMITED(1_712_345_678_902)),
    ];
    expect(protocolViolations("airbyte", lines)).toEqual([
      "line 2 (TRACE): message/trace/stream_status/reasons/0/rate_limited/quota_reset must be integer",
      "line 3 (RECORD): message/record must have required property 'emitted_at'",
      "line 4 (RECORD): message must have required property 'record'",
      "line 5 (TRACE): message/trace must have required property 'error'",
      "line 6 (STATE): message/state/stream must have required property 'stream_descriptor'",
      "line 7 (LOG): message/log/level must be equal to one of the allowed values",
      "line 8 (RECORDS): message/type must be equal to one of the allowed values",
      'line 9 (not JSON): "not json"',
      'line 10 (not JSON): ""',
    ]);
    expect(() => assertProtocolLines("stdout of read", "airbyte", lines)).toThrow(
      /^stdout of read breaks the Airbyte protocol on 9 line\(s\):\n {2}line 2 \(TRACE\): message\/trace\/stream_status\/reasons\/0\/rate_limited\/quota_reset must be integer\n/,
    );
  });

  it("lists ten bad lines and counts the rest", () => {
    const lines = Array.from({ length: 12 }, () => line({ type: "RECORD" }));
    expect(() => assertProtocolLines("stdout", "airbyte", lines)).toThrow(/on 12 line\(s\):(\n {2}line \d+ \(RECORD\)[^\n]+){10}\n {2}\.\.\. and 2 more$/);
  });
});

describe("the Singer check (message envelopes)", () => {
  it("passes what SingerWriter sends", async () => {
    const lines = await linesOf(
      (out) => new SingerWriter(out, new LogLines(new LineOutput(new PassThrough(), new Redactor())), { version: 1_712_345_678_901 }),
      async (w) => {
        w.setStreams([
          { stream: "projects", schema: { type: "object", properties: { gid: { type: "string" } } }, keyProperties: ["gid"], bookmarkProperties: undefined, replicationMethod: "FULL_TABLE", excluded: [] },
          { stream: "tasks", schema: { type: "object", properties: { gid: { type: "string" } } }, keyProperties: ["gid"], bookmarkProperties: ["modified_at"], replicationMethod: "INCREMENTAL", excluded: [] },
        ]);
        await w.streamStatus("projects", "STARTED");
        await w.record("projects", { gid: "1" });
        await w.state("projects", { done: true });
        await w.streamStatus("projects", "COMPLETE");
        await w.record("tasks", { gid: "2" });
        await w.state("tasks", { modified_at: "2024-01-01T00:00:00Z" });
      },
    );
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(["SCHEMA", "ACTIVATE_VERSION", "RECORD", "STATE", "ACTIVATE_VERSION", "SCHEMA", "RECORD", "STATE"]);
    expect(protocolViolations("singer", lines)).toEqual([]);
  });

  it("accepts each type in any case, with extra keys, and a BATCH", () => {
    const lines = [
      line({ type: "record", stream: "tasks", record: {}, time_extracted: "2024-01-01T00:00:00+02:00", extra: 1 }),
      line({ type: "STATE", value: null }),
      line({ type: "BATCH", stream: "tasks", encoding: { format: "jsonl", compression: "gzip" }, manifest: ["file:///tmp/a.jsonl.gz"] }),
    ];
    expect(protocolViolations("singer", lines)).toEqual([]);
  });

  it("names the line number, the message type and the ajv error of each bad line", () => {
    const lines = [
      line({ type: "SCHEMA", stream: "tasks", schema: { type: "object" }, key_properties: ["gid"] }),
      line({ type: "RECORD", record: { gid: "1" } }),
      line({ type: "RECORD", stream: "tasks", record: { gid: "1" }, time_extracted: "2024-01-01T00:00:00" }),
      line({ type: "RECORD", stream: "tasks", record: [] }),
      line({ type: "SCHEMA", stream: "tasks", schema: {}, key_properties: "gid" }),
      line({ type: "ACTIVATE_VERSION", stream: "tasks", version: 1.5 }),
      line({ type: "STATE", bookmarks: {} }),
      line({ type: "BATCH", stream: "tasks", encoding: {} }),
      line({ type: "METRIC", stream: "tasks" }),
      line({ stream: "tasks" }),
      line(["RECORD"]),
      "{",
    ];
    expect(protocolViolations("singer", lines)).toEqual([
      "line 2 (RECORD): message must have required property 'stream'",
      'line 3 (RECORD): message/time_extracted must match format "date-time"',
      "line 4 (RECORD): message/record must be object",
      "line 5 (SCHEMA): message/key_properties must be array",
      "line 6 (ACTIVATE_VERSION): message/version must be integer",
      "line 7 (STATE): message must have required property 'value'",
      "line 8 (BATCH): message must have required property 'manifest', message/encoding must have required property 'format'",
      "line 9 (METRIC): message/type must be one of SCHEMA, RECORD, STATE, ACTIVATE_VERSION, BATCH",
      'line 10 (?): message must have a string "type"',
      "line 11 (?): a Singer message is a JSON object",
      'line 12 (not JSON): "{"',
    ]);
    expect(singerEnvelopeProblem({ type: "RECORD", record: {} })).toEqual({ type: "RECORD", error: "message must have required property 'stream'" });
    expect(() => assertProtocolLines("stdout of tap-asana", "singer", lines)).toThrow(
      /^stdout of tap-asana breaks the Singer protocol on 11 line\(s\):\n {2}line 2 \(RECORD\): message must have required property 'stream'\n/,
    );
  });

  it("the test target lists the bad lines it read, and the pipe helper fails on them", () => {
    const dir = tempDir("source-asana-target-");
    const target = new SingerTarget(dir, () => {});
    target.handle(line({ type: "SCHEMA", stream: "tasks", schema: { type: "object" }, key_properties: ["gid"] }), 1);
    target.handle(line({ type: "RECORD", stream: "tasks", record: { gid: "1" }, version: "v1" }), 2);
    target.handle(line({ type: "STATE", value: {} }), 3);
    target.finish();
    const summary = JSON.parse(readFileSync(join(dir, "_target.json"), "utf8")) as TargetSummary;
    expect(summary.protocolErrors).toEqual(["line 2 (RECORD): message/version must be integer"]);
    expect(() => assertNoViolations("stdout of tap-asana (as the target read it)", "singer", summary.protocolErrors)).toThrow(
      "stdout of tap-asana (as the target read it) breaks the Singer protocol on 1 line(s):\n  line 2 (RECORD): message/version must be integer",
    );
  });

  it("applies to syncs only: --discover, --about, --help and --version print no messages", () => {
    expect(tapPrintsMessages(["--config", "c.json", "--catalog", "cat.json", "--state", "s.json"])).toBe(true);
    expect(tapPrintsMessages([])).toBe(true);
    for (const flag of ["--discover", "--about", "--help", "-h", "--version"]) expect(tapPrintsMessages(["--config", "c.json", flag])).toBe(false);
  });
});

describe("stdoutLines", () => {
  it("splits complete lines, keeping empty ones inside", () => {
    expect(stdoutLines("")).toEqual([]);
    expect(stdoutLines("a\nb\n")).toEqual(["a", "b"]);
    expect(stdoutLines("a\n\nb")).toEqual(["a", "", "b"]);
  });
});

describe("without ../shared", () => {
  afterEach(() => {
    vi.doUnmock("../helpers/shared.js");
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it("skips the Airbyte check with one note per worker, and still checks Singer lines", async () => {
    vi.resetModules();
    vi.doMock("../helpers/shared.js", async (importOriginal) => ({
      ...(await importOriginal<typeof import("../helpers/shared.js")>()),
      loadSharedYaml: () => undefined,
    }));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const fresh = await import("../helpers/protocol.js");
    expect(fresh.airbyteMessageValidator()).toBeNull();
    expect(fresh.protocolViolations("airbyte", [line({ type: "RECORD" }), "not json"])).toEqual([]);
    expect(() => fresh.assertProtocolLines("stdout", "airbyte", [line({ type: "RECORD" })])).not.toThrow();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/airbyte_protocol\.yaml not found: this conformance check is skipped/);
    expect(fresh.protocolViolations("singer", [line({ type: "RECORD", record: {} })])).toEqual(["line 1 (RECORD): message must have required property 'stream'"]);
  });
});
