/**
 * Shapes that parse but cannot be used as they are (bad-inputs.test.ts has the failing rows of the
 * CLI): which answers are one record and which must be lists, the JSON text checks (integers
 * beyond 2^53, nesting), the state files a sync's own output makes, and a state in the future.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN, type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { findUnsafeInteger, nestsDeeperThan } from "../../src/declarative/json-text.js";
import { RecordSelector } from "../../src/declarative/record-selector.js";
import { parseStateInput } from "../../src/engine/state.js";
import { catalogFor, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { runEngine } from "../helpers/engine.js";
import { runTap } from "../helpers/singer.js";
import { MANIFEST } from "./../engine/fixtures.js";

describe("findUnsafeInteger", () => {
  it("finds integer literals beyond 2^53 - 1 outside strings, with their key and offset", () => {
    expect(findUnsafeInteger('{"a": [{"gid": 9007199254740993}]}')).toEqual({ field: "gid", offset: 15, digits: 16 });
    expect(findUnsafeInteger('{"n": -123456789012345678901}')?.field).toBe("n");
    expect(findUnsafeInteger('{"k\\"ey": 1, "x": [1, 99999999999999999999]}')).toMatchObject({ field: "x" });
  });

  it("leaves alone what JSON.parse keeps exactly, strings, decimals and exponents", () => {
    expect(findUnsafeInteger('{"gid": 9007199254740991, "min": -9007199254740991}')).toBeUndefined();
    expect(findUnsafeInteger('{"gid": "1234567890123456789012", "t": "x: 12345678901234567890 \\" 12345678901234567890"}')).toBeUndefined();
    expect(findUnsafeInteger('{"f": 1.2345678901234567890, "e": 12345678901234567890e2}')).toBeUndefined();
    expect(findUnsafeInteger('{"data": [{"gid": "1204567890123456"}]}'), "Asana's string gids skip the slow path").toBeUndefined();
  });
});

describe("nestsDeeperThan", () => {
  it("counts arrays and objects, not brackets in strings", () => {
    expect(nestsDeeperThan("[".repeat(5) + "]".repeat(5), 4)).toBe(true);
    expect(nestsDeeperThan("[".repeat(4) + "]".repeat(4), 4)).toBe(false);
    expect(nestsDeeperThan(`{"a": "${"[".repeat(50)}", "b": {"c": []}}`, 3)).toBe(false);
    expect(nestsDeeperThan(`{"a": "\\\\", "b": [[[[]]]]}`, 4)).toBe(true);
  });
});

describe("record shapes", () => {
  const selector = RecordSelector.from({ type: "RecordSelector", extractor: { type: "DpathExtractor", field_path: ["data"] } }, "s", {});
  it("a paginated stream wants a list at the path; a lookup may answer one object", () => {
    expect(selector.shapeProblem({ data: { unexpected: true } }, true)).toBe('records at "data" must be a list, got an object');
    expect(selector.shapeProblem({ data: { gid: "1" } }, false)).toBeUndefined();
    expect(selector.shapeProblem({ data: [{ gid: "1" }] }, true)).toBeUndefined();
  });

  // A stream with NoPagination (like the manifest's task_lookup) answering one object, next to a
  // paginated one answering the same.
  const LOOKUP = MANIFEST.replace(
    "  items:\n",
    `  lookup:
    type: DeclarativeStream
    name: lookup
    primary_key: id
    schema_loader: { $ref: "#/definitions/schema" }
    retriever:
      type: SimpleRetriever
      requester: { $ref: "#/definitions/requester", path: /folders/f1 }
      record_selector: { $ref: "#/definitions/selector" }
      paginator: { type: NoPagination }
  items:
`,
  ).replace(/^streams:\n/m, 'streams:\n  - "#/definitions/lookup"\n');

  it("reads a lookup's object as its one record, and fails a paginated list that answers an object", async () => {
    const { emitter, result } = await runEngine(
      LOOKUP,
      (r) => (r.path === "/folders/f1" || r.path === "/folders" ? { status: 200, body: { data: { id: "f1", name: "one" } } } : { status: 404 }),
      { selected: ["lookup", "folders"] },
    );
    expect(emitter.records("lookup")).toEqual([{ id: "f1", name: "one" }]);
    expect(emitter.records("folders")).toEqual([]);
    expect(result.failures.map((f) => [f.stream, f.error.failureType, f.error.message])).toEqual([
      ["folders", "system_error", expect.stringMatching(/records at "data" must be a list, got an object/)],
    ]);
  });

  it("emits nothing of a page with a record lacking its key", async () => {
    const { emitter, result } = await runEngine(MANIFEST, () => ({ status: 200, body: { data: [{ id: "f1" }, { name: "x" }], next_page: null } }), {
      selected: ["folders"],
    });
    expect(emitter.records("folders")).toEqual([]);
    expect(result.failures[0]!.error.message).toMatch(/record 2 of 2 on a page of folders \(whole stream\) has no primary key "id" \(stream folders\)/);
  });
});

describe("state files", () => {
  const stateOf = (name: string, at: string) => ({ type: "STREAM", stream: { stream_descriptor: { name }, stream_state: { modified_at: at } } });
  it("takes a sync's output (AirbyteMessages, other lines skipped): the last state per stream wins", () => {
    const lines = [
      { type: "LOG", log: { level: "INFO", message: "x" } },
      { type: "STATE", state: stateOf("tasks", "2024-01-01T00:00:00Z") },
      { type: "RECORD", record: { stream: "tasks", data: { gid: "1" }, emitted_at: 1 } },
      { type: "STATE", state: stateOf("stories", "2024-01-02T00:00:00Z") },
      { type: "STATE", state: stateOf("tasks", "2024-02-01T00:00:00Z") },
    ];
    const states = parseStateInput(lines, "s.json");
    expect(Object.fromEntries(states)).toEqual({ tasks: { modified_at: "2024-02-01T00:00:00Z" }, stories: { modified_at: "2024-01-02T00:00:00Z" } });
    expect(Object.fromEntries(parseStateInput(lines[1], "s.json")), "one STATE message").toEqual({ tasks: { modified_at: "2024-01-01T00:00:00Z" } });
    const reset = [...lines, { type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: { name: "tasks" }, stream_state: null } } }];
    expect([...parseStateInput(reset, "s.json").keys()], "a later null resets").toEqual(["stories"]);
  });
});

describe("the CLIs with a sync's own output as state, and a state in the future", () => {
  let sim: Simulator;
  const dir = tempDir("source-asana-shapes-");
  let config: string;
  const catalog = writeJson(dir, "catalog.json", catalogFor(["tasks"], "incremental"));

  beforeAll(async () => {
    sim = await startSimulator({ seed: 5, size: "small" });
    config = writeJson(dir, "config.json", patConfig(sim.baseUrl, DEFAULT_TOKEN, { num_workers: 2 }));
  });
  afterAll(async () => {
    await sim?.close();
  });

  it("read accepts the lines a read printed, as JSON lines and as a JSON array", async () => {
    const first = await runAirbyte(["read", "--config", config, "--catalog", catalog], 60_000);
    expect(first.code).toBe(0);
    expect(recordsOf(first.messages, "tasks").length).toBeGreaterThan(0);
    const linesFile = join(dir, "state.jsonl");
    writeFileSync(linesFile, first.lines.join("\n") + "\n");
    const arrayFile = writeJson(dir, "state-array.json", first.messages);
    for (const state of [linesFile, arrayFile]) {
      const again = await runAirbyte(["read", "--config", config, "--catalog", catalog, "--state", state], 60_000);
      expect(again.stderr).toBe("");
      expect(again.code).toBe(0);
      expect(recordsOf(again.messages, "tasks").length, "resumed: nothing changed since").toBeLessThan(recordsOf(first.messages, "tasks").length);
    }
  });

  it("read warns of a cursor in the year 2999 and succeeds", async () => {
    const state = writeJson(dir, "future.json", [
      { type: "STREAM", stream: { stream_descriptor: { name: "tasks" }, stream_state: { modified_at: "2999-01-01T00:00:00Z" } } },
    ]);
    const result = await runAirbyte(["read", "--config", config, "--catalog", catalog, "--state", state], 60_000);
    expect(result.code).toBe(0);
    const warnings = result.messages.filter((m) => m.type === "LOG" && m.log!.level === "WARN").map((m) => m.log!.message);
    expect(warnings.filter((w) => /stream tasks .*nothing will sync before 2999-01-01T00:00:00/.test(w))).toHaveLength(1);
  });

  it("the tap accepts the STATE lines a target echoed (Singer) and an Airbyte state", async () => {
    const singerLines = [
      JSON.stringify({ type: "STATE", value: { bookmarks: { tasks: { modified_at: "2020-01-01T00:00:00Z" } } } }),
      JSON.stringify({ type: "STATE", value: { bookmarks: { tasks: { modified_at: "2999-01-01T00:00:00Z" } } } }),
    ];
    const singerFile = join(dir, "tap-state.jsonl");
    writeFileSync(singerFile, singerLines.join("\n"));
    const airbyteFile = writeJson(dir, "tap-airbyte-state.json", [
      { type: "STATE", state: { type: "STREAM", stream: { stream_descriptor: { name: "tasks" }, stream_state: { modified_at: "2999-01-01T00:00:00Z" } } } },
    ]);
    for (const state of [singerFile, airbyteFile]) {
      // The last state is in 2999 (the warning proves which one was taken); no catalog: every stream.
      const tap = await runTap(["--config", config, "--state", state], 60_000);
      expect(tap.code, tap.stderr).toBe(0);
      expect(tap.stderr).toMatch(/stream tasks .*nothing will sync before 2999-01-01T00:00:00/);
      expect(tap.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("the tap refuses a config nested 200,000 levels without a stack trace", async () => {
    const deep = writeJson(dir, "deep.json", "[".repeat(200_000) + "]".repeat(200_000));
    const tap = await runTap(["--config", deep, "--discover"], 30_000);
    expect(tap.code).not.toBe(0);
    expect(tap.stderr).toMatch(/config file .* is nested deeper than 1000 levels/);
    expect(tap.stderr).not.toMatch(/RangeError|\n\s+at /);
  });
});
