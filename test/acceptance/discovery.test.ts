/**
 * CAT TestDiscovery, against the built CLI's `discover` output (PROTOCOL-NOTES §3.3). Discover
 * makes no request, so the committed sample config is used as is.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CatalogSnapshot,
  type DiscoveredStream,
  UPDATE_SNAPSHOTS,
  catalogBreakingChanges,
  catalogSnapshot,
  catalogStreams,
  projectFile,
  readProjectJson,
  schemaAt,
  writeProjectJson,
} from "../helpers/acceptance.js";
import { type CliResult, runAirbyte } from "../helpers/cli.js";
import { airbyteMessageValidator, invalidMessages } from "../helpers/protocol.js";
import { additionalPropertiesProblems, keywordUses, metaSchemaProblems, typesOf } from "../helpers/schema-rules.js";
import { skipNote } from "../helpers/shared.js";

let result: CliResult;
let streams: DiscoveredStream[];

beforeAll(async () => {
  result = await runAirbyte(["discover", "--config", projectFile("integration_tests/sample_config.json")], 30_000);
  streams = catalogStreams(result.messages);
});

/** Problems per stream, as `stream: problem` lines. */
function perStream(check: (s: DiscoveredStream) => string[]): string[] {
  return streams.flatMap((s) => check(s).map((p) => `${s.name}: ${p}`));
}

describe("CAT discovery", () => {
  it("prints exactly one CATALOG with unique stream names, valid against the protocol schema", () => {
    expect(result.code).toBe(0);
    expect(result.messages.filter((m) => m.type === "CATALOG")).toHaveLength(1);
    expect(streams.length).toBeGreaterThan(0);
    const names = streams.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    if (!airbyteMessageValidator()) console.warn(skipNote("airbyte/airbyte_protocol.yaml"));
    else expect(invalidMessages(result.messages)).toEqual([]);
  });

  it("every stream schema is a valid draft-07 JSON Schema", () => {
    expect(perStream((s) => metaSchemaProblems(s.json_schema))).toEqual([]);
  });

  it("no stream schema uses $ref, allOf or not", () => {
    expect(perStream((s) => keywordUses(s.json_schema, ["$ref", "allOf", "not"]))).toEqual([]);
  });

  it("additionalProperties is true wherever it is set", () => {
    expect(perStream((s) => additionalPropertiesProblems(s.json_schema))).toEqual([]);
  });

  it("every stream has supported sync modes", () => {
    expect(perStream((s) => (s.supported_sync_modes.length ? [] : ["no supported_sync_modes"]))).toEqual([]);
    expect(perStream((s) => s.supported_sync_modes.filter((m) => m !== "full_refresh" && m !== "incremental"))).toEqual([]);
  });

  it("primary keys exist in the schema and are not object or array typed", () => {
    const problems = perStream((s) =>
      (s.source_defined_primary_key ?? []).flatMap((path) => {
        const node = schemaAt(s.json_schema, path);
        if (!node) return [`primary key ${path.join(".")} is not in the schema`];
        const types = typesOf(node) ?? [];
        return types.some((t) => t === "object" || t === "array") ? [`primary key ${path.join(".")} is ${types.join("/")}`] : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it("cursor fields exist in the schema", () => {
    const problems = perStream((s) =>
      s.default_cursor_field && !schemaAt(s.json_schema, s.default_cursor_field) ? [`cursor ${s.default_cursor_field.join(".")} is not in the schema`] : [],
    );
    expect(problems).toEqual([]);
    // An incremental stream needs a cursor (source_defined_cursor with default_cursor_field).
    expect(perStream((s) => (s.supported_sync_modes.includes("incremental") && !s.default_cursor_field ? ["incremental without a cursor"] : []))).toEqual([]);
  });

  it("is backward compatible with integration_tests/catalog_snapshot.json (no removed stream or field, same keys, no narrowed type)", () => {
    const previous = readProjectJson("integration_tests/catalog_snapshot.json") as unknown as CatalogSnapshot;
    expect(catalogBreakingChanges(previous, catalogSnapshot(streams))).toEqual([]);
  });

  it("equals integration_tests/catalog_snapshot.json (UPDATE_CAT_SNAPSHOTS=1 rewrites it after the check above)", () => {
    if (UPDATE_SNAPSHOTS) writeProjectJson("integration_tests/catalog_snapshot.json", catalogSnapshot(streams));
    expect(catalogSnapshot(streams)).toEqual(readProjectJson("integration_tests/catalog_snapshot.json"));
  });

  // Airbyte's runtime selects the fields to request (QueryProperties + JsonSchemaPropertySelector)
  // from the configured stream's json_schema: a configured catalog must carry the discovered one.
  it.each(["integration_tests/configured_catalog.json", "integration_tests/configured_catalog_incremental.json"])(
    "%s carries each stream exactly as discovered (UPDATE_CAT_SNAPSHOTS=1 rewrites it)",
    (file) => {
      const configured = readProjectJson(file) as unknown as { streams: Array<{ stream: { name: string } }> };
      const discovered = new Map(streams.map((s) => [s.name, s]));
      const expected = {
        ...configured,
        streams: configured.streams.map((c) => ({ ...c, stream: discovered.get(c.stream.name) ?? c.stream })),
      };
      if (UPDATE_SNAPSHOTS) writeProjectJson(file, expected);
      expect(configured.streams.filter((c) => !discovered.has(c.stream.name)).map((c) => c.stream.name), "unknown streams").toEqual([]);
      expect(readProjectJson(file)).toEqual(expected);
    },
  );

  it("integration_tests/configured_catalog.json configures every discovered stream, full_refresh + overwrite", () => {
    const configured = readProjectJson("integration_tests/configured_catalog.json") as unknown as {
      streams: Array<{ stream: { name: string }; sync_mode: string; destination_sync_mode: string }>;
    };
    expect(configured.streams.map((s) => s.stream.name).sort()).toEqual(streams.map((s) => s.name).sort());
    for (const s of configured.streams) {
      expect(s.sync_mode, s.stream.name).toBe("full_refresh");
      expect(s.destination_sync_mode, s.stream.name).toBe("overwrite");
    }
  });
});
