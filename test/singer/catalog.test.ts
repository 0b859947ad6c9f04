/**
 * The Singer catalog in-process: discovery metadata, the Meltano SDK selection rule, field
 * selection, replication methods, state files, and the writer's message order.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { LogLines } from "../../src/protocol/log-lines.js";
import { LineOutput } from "../../src/protocol/output.js";
import { Redactor } from "../../src/protocol/redact.js";
import { SingerWriter, parseBookmarks } from "../../src/protocol/singer.js";
import { settingsOf } from "../../src/protocol/singer-about.js";
import {
  type CatalogStream,
  StreamMetadata,
  parseSingerCatalog,
  selectStreams,
  toSingerCatalog,
} from "../../src/protocol/singer-catalog.js";

const schema = (...fields: string[]): Record<string, unknown> => ({
  type: "object",
  properties: Object.fromEntries(fields.map((f) => [f, { type: ["null", "string"] }])),
});

const STREAMS: CatalogStream[] = [
  { name: "projects", schema: schema("gid", "name", "notes"), primaryKey: [["gid"]], cursorField: undefined },
  { name: "tasks", schema: schema("gid", "name", "modified_at"), primaryKey: [["gid"]], cursorField: ["modified_at"] },
];

describe("toSingerCatalog", () => {
  it("writes stream and field metadata from the stream infos", () => {
    const catalog = toSingerCatalog(STREAMS);
    const projects = catalog.streams[0]!;
    expect(projects).toMatchObject({ tap_stream_id: "projects", stream: "projects", key_properties: ["gid"], replication_method: "FULL_TABLE" });
    expect(projects.metadata[0]).toEqual({
      breadcrumb: [],
      metadata: { inclusion: "available", "selected-by-default": true, "table-key-properties": ["gid"], "forced-replication-method": "FULL_TABLE" },
    });
    expect(projects.metadata.slice(1)).toEqual([
      { breadcrumb: ["properties", "gid"], metadata: { inclusion: "automatic", "selected-by-default": true } },
      { breadcrumb: ["properties", "name"], metadata: { inclusion: "available", "selected-by-default": true } },
      { breadcrumb: ["properties", "notes"], metadata: { inclusion: "available", "selected-by-default": true } },
    ]);
  });

  it("marks streams with a cursor INCREMENTAL with their replication key", () => {
    const tasks = toSingerCatalog(STREAMS).streams[1]!;
    expect(tasks.replication_method).toBe("INCREMENTAL");
    expect(tasks.replication_key).toBe("modified_at");
    expect(tasks.metadata[0]!.metadata).toMatchObject({ "forced-replication-method": "INCREMENTAL", "valid-replication-keys": ["modified_at"] });
    expect(tasks.metadata.find((m) => m.breadcrumb[1] === "modified_at")!.metadata.inclusion).toBe("automatic");
  });
});

describe("selection rule (Meltano SDK _breadcrumb_is_selected)", () => {
  const md = (entries: Array<[string[], Record<string, unknown>]>): StreamMetadata =>
    new StreamMetadata(entries.map(([breadcrumb, metadata]) => ({ breadcrumb, metadata })));

  it("selects everything when there is no metadata", () => {
    expect(md([]).isSelected([])).toBe(true);
    expect(md([]).isSelected(["properties", "x"])).toBe(true);
  });

  it("lets an explicit selected win over selected-by-default", () => {
    const m = md([
      [[], { selected: false, "selected-by-default": true }],
      [["properties", "a"], { "selected-by-default": true }],
    ]);
    expect(m.isSelected([])).toBe(false);
    expect(m.isSelected(["properties", "a"])).toBe(false); // the parent is deselected
  });

  it("uses selected-by-default, then the parent's value, and never selects a stream without either", () => {
    const m = md([
      [[], { "selected-by-default": true }],
      [["properties", "a"], { selected: false }],
      [["properties", "b"], {}],
    ]);
    expect(m.isSelected([])).toBe(true);
    expect(m.isSelected(["properties", "a"])).toBe(false);
    expect(m.isSelected(["properties", "b"])).toBe(true);
    expect(md([[["properties", "a"], { selected: true }]]).isSelected([])).toBe(false);
  });

  it("always selects automatic fields and never unsupported ones", () => {
    const m = md([
      [[], { selected: true }],
      [["properties", "gid"], { inclusion: "automatic", selected: false }],
      [["properties", "x"], { inclusion: "unsupported", selected: true }],
    ]);
    expect(m.isSelected(["properties", "gid"])).toBe(true);
    expect(m.isSelected(["properties", "x"])).toBe(false);
  });
});

describe("selectStreams", () => {
  const discovered = toSingerCatalog(STREAMS);

  it("selects every stream and field without a catalog", () => {
    const s = selectStreams(STREAMS, undefined);
    expect(s.streams).toEqual([
      { name: "projects", syncMode: "full_refresh" },
      { name: "tasks", syncMode: "incremental" },
    ]);
    expect(s.fields.size).toBe(0);
    expect(s.plans.map((p) => p.excluded)).toEqual([[], []]);
  });

  it("drops deselected streams and fields, keeps the primary key, and reports unknown streams", () => {
    const edited = structuredClone(discovered);
    edited.streams[0]!.metadata.find((m) => m.breadcrumb[1] === "notes")!.metadata.selected = false;
    edited.streams[0]!.metadata.find((m) => m.breadcrumb[1] === "gid")!.metadata.selected = false;
    edited.streams[1]!.metadata[0]!.metadata.selected = false;
    edited.streams.push({ ...structuredClone(edited.streams[0]!), tap_stream_id: "ghosts", stream: "ghosts" });
    const s = selectStreams(STREAMS, parseSingerCatalog(edited, "catalog.json"));
    expect(s.streams).toEqual([{ name: "projects", syncMode: "full_refresh" }]);
    expect(s.unknown).toEqual(["ghosts"]);
    expect(s.fields.get("projects")).toEqual(["gid", "name"]);
    const plan = s.plans[0]!;
    expect(plan.excluded).toEqual(["notes"]);
    expect(Object.keys(plan.schema.properties as object)).toEqual(["gid", "name"]);
    expect(plan.keyProperties).toEqual(["gid"]);
  });

  it("honours a chosen replication method and rejects an unsupported one", () => {
    const edited = structuredClone(discovered);
    edited.streams[1]!.metadata[0]!.metadata["replication-method"] = "FULL_TABLE";
    const s = selectStreams(STREAMS, parseSingerCatalog(edited, "c.json"));
    expect(s.streams[1]).toEqual({ name: "tasks", syncMode: "full_refresh" });
    expect(s.plans[1]!.bookmarkProperties).toBeUndefined();
    edited.streams[1]!.metadata[0]!.metadata["replication-method"] = "LOG_BASED";
    expect(() => selectStreams(STREAMS, parseSingerCatalog(edited, "c.json"))).toThrow(/LOG_BASED.*FULL_TABLE and INCREMENTAL/);
  });

  it("rejects malformed catalogs with the place of the problem", () => {
    expect(() => parseSingerCatalog([], "c.json")).toThrow(/c\.json must be a Singer catalog/);
    expect(() => parseSingerCatalog({ streams: [{ schema: {} }] }, "c.json")).toThrow(/streams\[0\] has neither tap_stream_id nor stream/);
    expect(() => parseSingerCatalog({ streams: [{ stream: "a", metadata: [{ breadcrumb: "x" }] }] }, "c.json")).toThrow(/metadata\[0\]/);
  });
});

describe("parseBookmarks", () => {
  it("accepts {}, null and {bookmarks}", () => {
    expect(parseBookmarks({}, "s.json").size).toBe(0);
    expect(parseBookmarks(null, "s.json").size).toBe(0);
    const b = parseBookmarks({ bookmarks: { tasks: { updated_since: "x" } }, currently_syncing: null }, "s.json");
    expect(b.get("tasks")).toEqual({ updated_since: "x" });
    expect(parseBookmarks({ bookmarks: { tasks: null } }, "s.json").has("tasks")).toBe(false); // null resets a stream
  });

  it("rejects other shapes clearly", () => {
    expect(() => parseBookmarks([], "s.json")).toThrow(/s\.json must hold a JSON object/);
    expect(() => parseBookmarks({ bookmarks: [] }, "s.json")).toThrow(/"bookmarks" must be an object/);
    expect(() => parseBookmarks({ bookmarks: { tasks: 3 } }, "s.json")).toThrow(/bookmark of stream tasks must be an object/);
  });
});

describe("SingerWriter", () => {
  async function capture(run: (w: SingerWriter) => Promise<void>): Promise<{ out: Array<Record<string, unknown>>; err: string[] }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let o = "";
    let e = "";
    stdout.on("data", (d: Buffer) => (o += d.toString()));
    stderr.on("data", (d: Buffer) => (e += d.toString()));
    const redactor = new Redactor();
    redactor.add("secret-token-123");
    const out = new LineOutput(stdout, redactor);
    const logs = new LineOutput(stderr, redactor);
    const writer = new SingerWriter(out, new LogLines(logs), {
      version: 42,
      bookmarks: new Map([["users", { __ab_no_cursor_state_message: true }]]),
    });
    const catalog = toSingerCatalog(STREAMS);
    catalog.streams[0]!.metadata.find((m) => m.breadcrumb[1] === "notes")!.metadata.selected = false;
    writer.setStreams(selectStreams(STREAMS, parseSingerCatalog(catalog, "c.json")).plans);
    await run(writer);
    await out.flush();
    await logs.flush();
    return { out: o.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), err: e.split("\n").filter(Boolean) };
  }

  it("sends SCHEMA, ACTIVATE_VERSION, versioned RECORDs, full STATE and a final ACTIVATE_VERSION", async () => {
    const { out, err } = await capture(async (w) => {
      await w.streamStatus("projects", "STARTED");
      await w.record("projects", { gid: "1", name: "a", notes: "n" });
      await w.record("projects", { gid: "2", name: "b", notes: "n" });
      await w.log("WARN", "token secret-token-123 leaked?");
      await w.state("projects", { __ab_no_cursor_state_message: true });
      await w.streamStatus("projects", "COMPLETE");
    });
    expect(out.map((m) => m.type)).toEqual(["SCHEMA", "ACTIVATE_VERSION", "RECORD", "RECORD", "STATE", "ACTIVATE_VERSION"]);
    expect(out[0]).toMatchObject({ stream: "projects", key_properties: ["gid"] });
    expect(out[0]).not.toHaveProperty("bookmark_properties");
    expect(Object.keys((out[0]!.schema as { properties: object }).properties)).toEqual(["gid", "name"]);
    expect(out[2]).toMatchObject({ record: { gid: "1", name: "a" }, version: 42 });
    expect(out[2]!.record).not.toHaveProperty("notes");
    expect(out[2]!.time_extracted).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(out[4]).toEqual({
      type: "STATE",
      value: { bookmarks: { users: { __ab_no_cursor_state_message: true }, projects: { __ab_no_cursor_state_message: true } } },
    });
    expect(out[5]).toEqual({ type: "ACTIVATE_VERSION", stream: "projects", version: 42 });
    expect(err).toContain("WARN token ********** leaked?");
    expect(err).toContain("INFO Stream projects: COMPLETE");
  });

  it("gives incremental streams bookmark_properties and no version", async () => {
    const { out } = await capture(async (w) => {
      await w.record("tasks", { gid: "1", modified_at: "2024-01-01T00:00:00Z" });
      await w.streamStatus("tasks", "COMPLETE");
    });
    expect(out.map((m) => m.type)).toEqual(["SCHEMA", "RECORD"]);
    expect(out[0]!.bookmark_properties).toEqual(["modified_at"]);
    expect(out[1]).not.toHaveProperty("version");
  });

  it("does not end an incomplete full-table stream with ACTIVATE_VERSION", async () => {
    const { out, err } = await capture(async (w) => {
      await w.record("projects", { gid: "1" });
      await w.streamStatus("projects", "INCOMPLETE");
    });
    expect(out.map((m) => m.type)).toEqual(["SCHEMA", "ACTIVATE_VERSION", "RECORD"]);
    expect(err).toContain("WARN Stream projects: INCOMPLETE");
  });
});

describe("settingsOf", () => {
  it("flattens oneOf credentials and marks secrets", () => {
    const settings = settingsOf({
      type: "object",
      required: ["credentials"],
      properties: {
        credentials: {
          type: "object",
          oneOf: [
            { title: "PAT", required: ["option_title", "token"], properties: { option_title: { type: "string", const: "PAT" }, token: { type: "string", airbyte_secret: true } } },
            { title: "Other", required: ["option_title"], properties: { option_title: { type: "string", const: "Other" } } },
          ],
        },
        n: { type: "integer", default: 3 },
      },
    });
    expect(settings).toEqual([
      expect.objectContaining({ name: "credentials.option_title", required: true, sensitive: false, allowed: ["PAT", "Other"], variants: [] }),
      expect.objectContaining({ name: "credentials.token", required: false, sensitive: true, variants: ["PAT"] }),
      expect.objectContaining({ name: "n", type: "integer", default: 3, required: false }),
    ]);
  });
});
