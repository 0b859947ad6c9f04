/**
 * The built tap-asana CLI without any API: --help, --version, --about, --discover, input errors,
 * and the example meltano.yml against the spec. Failures must exit non-zero with one clear
 * message on stderr (no stack trace), nothing on stdout, and never the token.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { settingsOf } from "../../src/protocol/singer-about.js";
import { patConfig, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { ROOT } from "../helpers/shared.js";
import { type TapResult, runTap } from "../helpers/singer.js";

const TOKEN = "tap-cli-test-token-3f9a1c";
// Nothing listens on port 9 of 127.0.0.1: none of these runs may need the API.
const CONFIG = patConfig("http://127.0.0.1:9/api/1.0", TOKEN);

let dir: string;
let configPath: string;
let spec: Record<string, unknown>;

beforeAll(async () => {
  dir = tempDir("tap-asana-cli-");
  configPath = writeJson(dir, "config.json", CONFIG);
  const specRun = await runAirbyte(["spec"]);
  spec = specRun.messages[0]!.spec!.connectionSpecification as Record<string, unknown>;
});

function expectCleanFailure(result: TapResult, message: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(message);
  expect(result.stderr).toMatch(/^ERROR .*\(failure type: config_error\)$/m);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain(TOKEN);
}

describe("tap-asana: help, version, about", () => {
  it("--help prints the usage on stdout", async () => {
    const r = await runTap(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: tap-asana --config FILE --discover/);
    expect(r.stdout).toContain("--catalog FILE");
    expect(r.stderr).toBe("");
  });

  it("--version prints the package version", async () => {
    const r = await runTap(["--version"]);
    const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as { version: string };
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`tap-asana ${pkg.version}`);
  });

  it("--about --format json lists settings (the spec) with secrets marked, capabilities and streams", async () => {
    const r = await runTap(["--about", "--format", "json"]);
    expect(r.code).toBe(0);
    const about = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(about.name).toBe("tap-asana");
    expect(about.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(about.capabilities).toEqual(["about", "catalog", "discover", "state", "activate-version"]);
    expect(about.settings).toEqual(spec);
    const sensitive = about.sensitive_settings as string[];
    expect(sensitive).toContain("credentials.personal_access_token");
    expect(sensitive).not.toContain("base_url");
    // Each listed secret is an airbyte_secret property of the settings schema, and vice versa.
    const secretsInSchema = settingsOf(spec).filter((s) => s.sensitive).map((s) => s.name);
    expect(sensitive.sort()).toEqual(secretsInSchema.sort());
    const discover = await runAirbyte(["discover", "--config", configPath]);
    const names = discover.messages.find((m) => m.type === "CATALOG")!.catalog!.streams.map((s) => s.name);
    expect(about.streams).toEqual(names);
  });

  it("--about --format=markdown prints a settings table with a Sensitive column", async () => {
    const r = await runTap(["--about", "--format=markdown"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# tap-asana/);
    expect(r.stdout).toContain("| Setting | Type | Required | Sensitive | Default | Description |");
    expect(r.stdout).toMatch(/\| `credentials\.personal_access_token` \| string \| no \| yes \|/);
    expect(r.stdout).toMatch(/\| `num_workers` \| integer \| no \| no \| `20` \|/);
    expect(r.stdout).toContain("## Capabilities");
    expect(r.stdout).toContain("- activate-version");
    expect(r.stdout).toContain("## Streams");
    expect(r.stdout).toContain("- tasks");
  });
});

describe("tap-asana --discover", () => {
  it("prints one catalog object with Singer metadata and no secret", async () => {
    const r = await runTap(["--config", configPath, "--discover"]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(TOKEN);
    expect(r.stderr).not.toContain(TOKEN);
    const catalog = JSON.parse(r.stdout) as { streams: Array<Record<string, unknown>> };
    expect(Object.keys(catalog)).toEqual(["streams"]);
    expect(catalog.streams.length).toBeGreaterThan(10);
    const airbyte = await runAirbyte(["discover", "--config", configPath]);
    const cursors = new Map(
      airbyte.messages
        .find((m) => m.type === "CATALOG")!
        .catalog!.streams.map((s) => [s.name, (s as { default_cursor_field?: string[] }).default_cursor_field]),
    );
    expect(catalog.streams.map((s) => s.stream)).toEqual([...cursors.keys()]);
    for (const s of catalog.streams) {
      expect(s.tap_stream_id).toBe(s.stream);
      // A project can sit in several portfolios: an item's key names its portfolio.
      const key = s.stream === "portfolio_items" ? ["portfolio_gid", "gid"] : ["gid"];
      expect(s.key_properties).toEqual(key);
      const metadata = s.metadata as Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
      const cursor = cursors.get(s.stream as string);
      expect(metadata[0]).toEqual({
        breadcrumb: [],
        metadata: {
          inclusion: "available",
          "selected-by-default": true,
          "table-key-properties": key,
          "forced-replication-method": cursor ? "INCREMENTAL" : "FULL_TABLE",
          ...(cursor ? { "valid-replication-keys": [cursor.join(".")] } : {}),
        },
      });
      expect(s.replication_method).toBe(cursor ? "INCREMENTAL" : "FULL_TABLE");
      if (cursor) expect(s.replication_key).toBe(cursor[0]);
      const fields = Object.keys((s.schema as { properties: Record<string, unknown> }).properties);
      expect(metadata.slice(1).map((m) => m.breadcrumb)).toEqual(fields.map((f) => ["properties", f]));
      expect(metadata.find((m) => m.breadcrumb[1] === "gid")!.metadata.inclusion).toBe("automatic");
      const automatic = [...key, ...(cursor ? [cursor[0]] : [])];
      for (const m of metadata.slice(1)) expect(m.metadata.inclusion).toBe(automatic.includes(m.breadcrumb[1]!) ? "automatic" : "available");
    }
    expect([...cursors.values()].some(Boolean)).toBe(true);
  });

  it("merges repeated --config files, later keys winning", async () => {
    const partial = writeJson(dir, "partial.json", { base_url: "not a url" });
    const fixed = writeJson(dir, "fixed.json", { base_url: "http://127.0.0.1:9/api/1.0", num_workers: "4", start_date: "2024-01-01T00:00:00+00:00" });
    const bad = await runTap(["--config", configPath, "--config", partial, "--discover"]);
    expectCleanFailure(bad, /base_url/);
    // A string number (as Meltano passes settings from environment variables) and a Python
    // isoformat() date-time (Meltano's date_iso8601) are accepted.
    const ok = await runTap(["--config", configPath, "--config", partial, "--config", fixed, "--discover"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toHaveProperty("streams");
  });
});

describe("tap-asana input errors", () => {
  it("rejects an unknown flag with the usage", async () => {
    expectCleanFailure(await runTap(["--bogus"]), /Unknown option '--bogus'.*usage: tap-asana/);
  });

  it("rejects a positional argument", async () => {
    expectCleanFailure(await runTap(["discover", "--config", configPath]), /Unexpected argument 'discover'|does not take positional/);
  });

  it("needs --config for a sync and for --discover", async () => {
    expectCleanFailure(await runTap([]), /tap-asana sync needs --config FILE/);
    expectCleanFailure(await runTap(["--discover"]), /tap-asana --discover needs --config FILE/);
  });

  it("names a missing or invalid config file", async () => {
    expectCleanFailure(await runTap(["--config", `${dir}/nope.json`, "--discover"]), /config file .*nope\.json could not be read \(ENOENT\)/);
    const broken = writeJson(dir, "broken.json", "{ not json");
    expectCleanFailure(await runTap(["--config", broken, "--discover"]), /config file .*broken\.json is not valid JSON/);
    const noCredentials = writeJson(dir, "nocred.json", { base_url: "http://127.0.0.1:9/api/1.0" });
    expectCleanFailure(await runTap(["--config", noCredentials]), /The config is invalid: credentials is required/);
  });

  it("rejects --format without --about, an unknown format, and --catalog with --properties", async () => {
    expectCleanFailure(await runTap(["--format", "json"]), /--format goes with --about/);
    expectCleanFailure(await runTap(["--about", "--format", "yaml"]), /--format must be json or markdown/);
    const catalog = writeJson(dir, "empty-catalog.json", { streams: [] });
    expectCleanFailure(await runTap(["--config", configPath, "--catalog", catalog, "--properties", catalog]), /--catalog or --properties, not both/);
  });

  it("rejects a malformed state file", async () => {
    const catalog = writeJson(dir, "none.json", { streams: [] });
    for (const [name, content, message] of [
      ["state-array.json", [], /must hold a JSON object such as \{"bookmarks"/],
      ["state-bookmarks.json", { bookmarks: "x" }, /"bookmarks" must be an object/],
      ["state-blob.json", { bookmarks: { tasks: 1 } }, /bookmark of stream tasks must be an object/],
      ["state-text.json", "{{", /state file .* is not valid JSON/],
    ] as const) {
      const state = writeJson(dir, name, content);
      expectCleanFailure(await runTap(["--config", configPath, "--catalog", catalog, "--state", state]), message);
    }
  });

  it("accepts an empty state file object and a catalog that selects nothing", async () => {
    const catalog = writeJson(dir, "nothing.json", { streams: [] });
    const state = writeJson(dir, "empty-state.json", {});
    const r = await runTap(["--config", configPath, "--catalog", catalog, "--state", state]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("WARN The catalog selects no stream");
  });

  it("rejects a malformed catalog and reports selected streams the tap does not have", async () => {
    const bad = writeJson(dir, "bad-catalog.json", { streams: {} });
    expectCleanFailure(await runTap(["--config", configPath, "--catalog", bad]), /must be a Singer catalog/);
    const unknown = writeJson(dir, "unknown-catalog.json", {
      streams: [
        { tap_stream_id: "ghosts", stream: "ghosts", schema: {}, metadata: [{ breadcrumb: [], metadata: { selected: true } }] },
        { tap_stream_id: "phantoms", stream: "phantoms", schema: {}, metadata: [{ breadcrumb: [], metadata: { selected: false } }] },
      ],
    });
    const r = await runTap(["--config", configPath, "--catalog", unknown]);
    expectCleanFailure(r, /ghosts: The catalog selects stream ghosts, which this tap does not have; run --discover again/);
    expect(r.stderr).not.toContain("phantoms");
  });

  it("rejects a replication method the stream does not support", async () => {
    const catalog = writeJson(dir, "log-based.json", {
      streams: [{ tap_stream_id: "users", schema: {}, metadata: [{ breadcrumb: [], metadata: { selected: true, "replication-method": "LOG_BASED" } }] }],
    });
    expectCleanFailure(await runTap(["--config", configPath, "--catalog", catalog]), /stream users with replication method "LOG_BASED"/);
  });
});

describe("integration_tests/meltano/meltano.yml", () => {
  interface MeltanoSetting {
    name: string;
    kind?: string;
    sensitive?: boolean;
  }
  interface MeltanoPlugin {
    name: string;
    namespace?: string;
    executable?: string;
    pip_url?: string;
    capabilities?: string[];
    settings?: MeltanoSetting[];
  }
  const project = parse(readFileSync(resolve(ROOT, "integration_tests/meltano/meltano.yml"), "utf8")) as {
    plugins: { extractors: MeltanoPlugin[]; loaders: MeltanoPlugin[] };
  };

  it("declares tap-asana as a custom executable extractor", () => {
    const tap = project.plugins.extractors.find((p) => p.name === "tap-asana")!;
    expect(tap.namespace).toBe("tap_asana");
    expect(tap.pip_url).toBeUndefined();
    expect(tap.executable).toMatch(/tap-asana$/);
    expect(tap.capabilities).toEqual(expect.arrayContaining(["catalog", "discover", "state", "about"]));
    expect(tap.capabilities).not.toContain("properties");
    expect(project.plugins.loaders.map((l) => l.name)).toContain("target-jsonl");
  });

  it("mirrors the spec: every setting, secrets sensitive", () => {
    const tap = project.plugins.extractors.find((p) => p.name === "tap-asana")!;
    const declared = new Map((tap.settings ?? []).map((s) => [s.name, s]));
    const fromSpec = settingsOf(spec);
    expect([...declared.keys()].sort()).toEqual(fromSpec.map((s) => s.name).sort());
    for (const s of fromSpec) {
      expect({ name: s.name, sensitive: declared.get(s.name)!.sensitive === true }).toEqual({ name: s.name, sensitive: s.sensitive });
      if (s.type === "integer") expect(declared.get(s.name)!.kind).toBe("integer");
    }
  });
});
