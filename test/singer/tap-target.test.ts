/**
 * tap-asana piped into a Singer target, the way Meltano (or `tap | target` in a shell) runs it:
 * two processes joined by an OS pipe, against the local Asana simulator (127.0.0.1 only).
 *   discover → select (deselect streams and a field) → sync → final state → resume with it;
 *   the Singer records equal the Airbyte mode's; a deselected field is neither requested
 *   (`opt_fields` seen by a recording proxy in front of the simulator) nor written;
 *   no token in any output.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { catalogFor, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type RecordingProxy, startRecordingProxy } from "../helpers/recording-proxy.js";
import { type PipeResult, runTap, runTapToTarget, targetRecords } from "../helpers/singer.js";

const SLICE = ["workspaces", "users", "projects", "sections", "tasks"];
const DESELECTED_FIELDS = ["notes", "html_notes"];

interface CatalogEntry {
  tap_stream_id: string;
  stream: string;
  schema: { properties: Record<string, unknown> };
  metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
}

let sim: Simulator;
let proxy: RecordingProxy;
let dir: string;
/** Config through the recording proxy. */
let proxiedConfig: string;
/** Config straight to the simulator. */
let directConfig: string;
let discovered: { streams: CatalogEntry[] };

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, size: "small" });
  proxy = await startRecordingProxy(sim.baseUrl);
  dir = tempDir("tap-asana-pipe-");
  proxiedConfig = writeJson(dir, "config-proxy.json", patConfig(proxy.baseUrl, sim.token));
  directConfig = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token));
  const discover = await runTap(["--config", proxiedConfig, "--discover"]);
  expect(discover.code, discover.stderr).toBe(0);
  discovered = JSON.parse(discover.stdout) as { streams: CatalogEntry[] };
});

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
});

/** The discovered catalog with only `streams` selected (the others explicitly deselected) and some fields deselected. */
function selectCatalog(streams: string[], deselect: Record<string, string[]> = {}): { streams: CatalogEntry[] } {
  const catalog = structuredClone(discovered);
  for (const entry of catalog.streams) {
    for (const m of entry.metadata) {
      if (m.breadcrumb.length === 0) m.metadata.selected = streams.includes(entry.stream);
      else if ((deselect[entry.stream] ?? []).includes(m.breadcrumb[1]!)) m.metadata.selected = false;
    }
  }
  return catalog;
}

function byGid(records: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return [...records].sort((a, b) => String(a.gid).localeCompare(String(b.gid)));
}

function expectSuccess(result: PipeResult): void {
  expect(result.timedOut).toBe(false);
  expect(result.target.stderr).toBe("");
  expect(result.target.code).toBe(0);
  expect(result.tap.code, result.tap.stderr).toBe(0);
}

/** Every file the target wrote, concatenated (to look for leaked secrets). */
function everythingWritten(outDir: string): string {
  return readdirSync(outDir)
    .map((f) => readFileSync(join(outDir, f), "utf8"))
    .join("\n");
}

describe("tap-asana | singer-target", () => {
  it("discover → select → sync → state → resume from that state", async () => {
    const catalogPath = writeJson(dir, "catalog.json", selectCatalog(SLICE, { tasks: DESELECTED_FIELDS }));
    proxy.urls.length = 0;
    const out1 = join(dir, "run1");
    const first = await runTapToTarget(["--config", proxiedConfig, "--catalog", catalogPath], out1);
    expectSuccess(first);

    // Only the selected streams reached the target. Full-table streams: SCHEMA → ACTIVATE_VERSION →
    // RECORDs (with that version) → ACTIVATE_VERSION; incremental ones: SCHEMA → RECORDs.
    expect(Object.keys(first.summary.streams).sort()).toEqual([...SLICE].sort());
    const incremental = discovered.streams.filter((s) => s.metadata[0]!.metadata["forced-replication-method"] === "INCREMENTAL").map((s) => s.stream);
    expect(incremental).toContain("tasks");
    for (const stream of SLICE) {
      const s = first.summary.streams[stream]!;
      expect(s.keyProperties).toEqual(["gid"]);
      expect(s.records, `${stream} has records`).toBeGreaterThan(0);
      if (incremental.includes(stream)) {
        const entry = discovered.streams.find((e) => e.stream === stream)!;
        expect(s.bookmarkProperties).toEqual(entry.metadata[0]!.metadata["valid-replication-keys"]);
        expect(s.sequence).toEqual(["SCHEMA", "RECORD"]);
        expect(s.versions).toEqual([]);
      } else {
        expect(s.bookmarkProperties).toBeUndefined();
        expect(s.sequence).toEqual(["SCHEMA", "ACTIVATE_VERSION", "RECORD", "ACTIVATE_VERSION"]);
        expect(s.versions.length).toBe(2);
        expect(s.versions[0]).toBe(s.versions[1]);
      }
      const records = targetRecords(out1, stream);
      expect(records.length).toBe(s.records);
      expect(new Set(records.map((r) => r.gid)).size, `${stream} has no duplicate gid`).toBe(records.length);
      const truth = [...sim.dataset.groundTruth(stream as never)].map((r) => (stream === "tasks" ? without(r, DESELECTED_FIELDS) : r));
      expect(byGid(records), `${stream} equals the ground truth`).toEqual(byGid(truth));
    }

    // The deselected task fields: not in the SCHEMA, not in any record, and never asked for.
    const tasks = first.summary.streams.tasks!;
    for (const field of DESELECTED_FIELDS) expect(tasks.schemaProperties).not.toContain(field);
    expect(tasks.schemaProperties).toContain("name");
    for (const r of targetRecords(out1, "tasks")) for (const field of DESELECTED_FIELDS) expect(r).not.toHaveProperty(field);
    const requests = (path: RegExp): URL[] =>
      proxy.urls.map((u) => new URL(u, "http://127.0.0.1")).filter((u) => path.test(u.pathname));
    const optFields = (path: RegExp): string[][] => requests(path).map((u) => (u.searchParams.get("opt_fields") ?? "").split(","));
    const taskRequests = optFields(/\/tasks$/);
    expect(taskRequests.length).toBeGreaterThan(0);
    for (const fields of taskRequests) {
      expect(fields).toContain("name");
      for (const field of DESELECTED_FIELDS) expect(fields).not.toContain(field);
    }
    // Other streams still ask for their own notes.
    const projectRequests = optFields(/\/projects$/);
    expect(projectRequests.length).toBeGreaterThan(0);
    for (const fields of projectRequests) expect(fields).toContain("notes");
    // A deselected stream is not read at all (stories would be /tasks/{gid}/stories).
    expect(proxy.urls.some((u) => /\/stories(\?|$)/.test(u))).toBe(false);

    // The final state (what `| tail -1` keeps) holds a bookmark per synced stream: the engine's own
    // per-stream blobs, the same as the Airbyte mode's stream_state.
    expect(first.states.length).toBeGreaterThanOrEqual(SLICE.length);
    const finalState = first.states.at(-1) as { bookmarks: Record<string, unknown> };
    expect(Object.keys(finalState.bookmarks).sort()).toEqual([...SLICE].sort());
    for (const stream of SLICE) {
      if (incremental.includes(stream)) expect(finalState.bookmarks[stream]).not.toEqual({ __ab_no_cursor_state_message: true });
      else expect(finalState.bookmarks[stream]).toEqual({ __ab_no_cursor_state_message: true });
    }
    expect(JSON.stringify(finalState.bookmarks.tasks)).toMatch(/modified_at/);

    // Resume with that state (plus a bookmark of a stream not synced now, which is carried over).
    const statePath = writeJson(dir, "state.json", { bookmarks: { ...finalState.bookmarks, stories: { kept: true } } });
    proxy.urls.length = 0;
    const out2 = join(dir, "run2");
    const second = await runTapToTarget(["--config", proxiedConfig, "--properties", catalogPath, "--state", statePath], out2);
    expectSuccess(second);
    for (const stream of SLICE.filter((s) => !incremental.includes(s))) {
      expect(byGid(targetRecords(out2, stream)), `${stream} is read in full again`).toEqual(byGid(targetRecords(out1, stream)));
    }
    // Nothing changed in between: the incremental stream asks from its saved position and gets
    // at most the records at that position again, not the whole history.
    const again = targetRecords(out2, "tasks");
    expect(again.length).toBeLessThan(targetRecords(out1, "tasks").length);
    const firstGids = new Set(targetRecords(out1, "tasks").map((r) => r.gid));
    for (const r of again) expect(firstGids.has(r.gid)).toBe(true);
    const resumed = requests(/\/tasks$/);
    expect(resumed.length).toBeGreaterThan(0);
    for (const u of resumed) expect(u.searchParams.get("modified_since")).toMatch(/^20\d\d-/);
    const resumedState = second.states.at(-1) as { bookmarks: Record<string, unknown> };
    expect(Object.keys(resumedState.bookmarks).sort()).toEqual([...SLICE, "stories"].sort());
    expect(resumedState.bookmarks.stories).toEqual({ kept: true });
    for (const stream of SLICE.filter((s) => !incremental.includes(s))) expect(resumedState.bookmarks[stream]).toEqual(finalState.bookmarks[stream]);
    // The cursor never moves back.
    const newest = (blob: unknown): string => (JSON.stringify(blob).match(/"modified_at":"[^"]+"/g) ?? []).sort().at(-1) ?? "";
    expect(newest(resumedState.bookmarks.tasks) >= newest(finalState.bookmarks.tasks)).toBe(true);
    expect(newest(finalState.bookmarks.tasks)).not.toBe("");
    const versions = (r: PipeResult): number => r.summary.streams.projects!.versions[0]!;
    expect(versions(second)).toBeGreaterThan(versions(first));

    for (const text of [first.tap.stderr, second.tap.stderr, everythingWritten(out1), everythingWritten(out2), JSON.stringify(first.states)]) {
      expect(text).not.toContain(sim.token);
    }
    expect(first.tap.stderr).toMatch(/^INFO Read workspaces=\d+, users=\d+, projects=\d+, sections=\d+, tasks=\d+ with \d+ requests/m);
  });

  it.each(["full_refresh", "incremental"] as const)(
    "writes the same records and bookmarks as the Airbyte mode (tasks %s)",
    async (taskMode) => {
      const abCatalog = catalogFor(SLICE) as { streams: Array<{ stream: { name: string }; sync_mode: string }> };
      for (const s of abCatalog.streams) if (s.stream.name === "tasks") s.sync_mode = taskMode;
      const airbyte = await runAirbyte(["read", "--config", directConfig, "--catalog", writeJson(dir, `ab-${taskMode}.json`, abCatalog)]);
      expect(airbyte.code, airbyte.stderr).toBe(0);
      const singerCatalog = selectCatalog(SLICE);
      const tasksMetadata = singerCatalog.streams.find((s) => s.stream === "tasks")!.metadata[0]!.metadata;
      tasksMetadata["replication-method"] = taskMode === "incremental" ? "INCREMENTAL" : "FULL_TABLE";
      const out = join(dir, `same-${taskMode}`);
      const singer = await runTapToTarget(["--config", directConfig, "--catalog", writeJson(dir, `all-fields-${taskMode}.json`, singerCatalog)], out);
      expectSuccess(singer);
      const finalState = singer.states.at(-1) as { bookmarks: Record<string, unknown> };
      for (const stream of SLICE) {
        const expected = recordsOf(airbyte.messages, stream);
        expect(expected.length).toBeGreaterThan(0);
        expect(byGid(targetRecords(out, stream)), `${stream}: Singer records equal Airbyte records`).toEqual(byGid(expected));
        const airbyteStates = airbyte.messages.filter((m) => m.type === "STATE" && m.state!.stream.stream_descriptor.name === stream);
        // Same blob, up to values that differ from one run to the next (e.g. Events API sync tokens).
        expect(canonical(stable(finalState.bookmarks[stream])), `${stream}: the bookmark is the Airbyte stream_state`).toEqual(
          canonical(stable(airbyteStates.at(-1)!.state!.stream.stream_state)),
        );
      }
      expect(singer.summary.streams.tasks!.versions.length).toBe(taskMode === "incremental" ? 0 : 2);
    },
  );

  it("puts only Singer messages on stdout, logs on stderr, and never the token", async () => {
    const catalogPath = writeJson(dir, "ws.json", selectCatalog(["workspaces", "users"]));
    const r = await runTap(["--config", directConfig, "--catalog", catalogPath]);
    expect(r.code, r.stderr).toBe(0);
    const types = r.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(new Set(types)).toEqual(new Set(["SCHEMA", "ACTIVATE_VERSION", "RECORD", "STATE"]));
    expect(r.stderr.split("\n").filter(Boolean).every((l) => /^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL) /.test(l) || /^ {4}/.test(l))).toBe(true);
    expect(r.stderr).toContain("INFO Stream workspaces: COMPLETE");
    expect(r.stdout).not.toContain(sim.token);
    expect(r.stderr).not.toContain(sim.token);
  });

  it("fails a sync with a rejected token: config_error on stderr, non-zero exit, no token", async () => {
    const badToken = "rejected-token-7c1d2e";
    const badConfig = writeJson(dir, "bad.json", patConfig(sim.baseUrl, badToken));
    const catalogPath = writeJson(dir, "ws-only.json", selectCatalog(["workspaces"]));
    const result = await runTapToTarget(["--config", badConfig, "--catalog", catalogPath], join(dir, "bad"));
    expect(result.timedOut).toBe(false);
    expect(result.tap.code).not.toBe(0);
    expect(result.target.code).toBe(0);
    expect(result.tap.stderr).toMatch(/^ERROR workspaces: .*401.*\(failure type: config_error\)$/m);
    expect(result.tap.stderr).toContain("WARN Stream workspaces: INCOMPLETE");
    expect(result.tap.stderr).not.toMatch(/^\s+at /m);
    expect(result.tap.stderr).not.toContain(badToken);
    // No record, no final ACTIVATE_VERSION (which would let a target delete the old rows), no state.
    expect(result.summary.streams.workspaces?.sequence ?? []).toEqual(["SCHEMA"]);
    expect(result.states).toEqual([]);
  });
});

function without(record: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !fields.includes(k)));
}

/** A state blob with its lists in a stable order (partitions finish in any order). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** A state blob with its run-specific strings masked: date-times, gids, numbers and booleans are kept. */
function stable(value: unknown): unknown {
  if (typeof value === "string") return /^\d{4}-\d\d-\d\dT|^\d+$/.test(value) ? value : "<string>";
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stable(v)]));
  return value;
}
