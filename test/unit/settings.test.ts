/**
 * The settings table (src/engine/settings.ts) against the spec: every config key the runtime or
 * the manifest reads is declared in manifest.yaml's spec (title, description, type, default,
 * bounds), except the legacy keys the manifest rejects and the underscore test hooks, which the
 * spec, `--about` and the docs never show; and the values a run gets are the spec's defaults,
 * what the config says, or what a test hook says.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildSource, specOf } from "../../src/declarative/source.js";
import { TEST_HOOKS, USER_SETTINGS, runtimeSettings } from "../../src/engine/settings.js";
import { ConnectorError } from "../../src/errors.js";
import { loadManifest } from "../../src/manifest/load.js";
import { ROOT } from "../helpers/shared.js";

const manifest = loadManifest();
const spec = specOf(manifest).connectionSpecification as { properties: Record<string, Record<string, unknown>> };
const PAT = { credentials: { option_title: "PAT Credentials", personal_access_token: "t" } };

function settingsFor(config: Record<string, unknown>): ReturnType<typeof runtimeSettings> {
  return runtimeSettings(manifest.root, spec, buildSource(manifest, config), config);
}

/** Top-level config keys the manifest interpolates: `config.get('x')`, `config['x']`, `config.x`. */
function manifestConfigKeys(): Set<string> {
  const text = readFileSync(join(ROOT, "manifest.yaml"), "utf8");
  const keys = new Set<string>();
  for (const m of text.matchAll(/config(?:\.get\(\s*['"](\w+)['"]|\[\s*['"](\w+)['"]\s*\]|\.(\w+)\b(?!\())/g)) {
    const key = m[1] ?? m[2] ?? m[3];
    if (key && key !== "get") keys.add(key);
  }
  return keys;
}

describe("settings declared in the spec", () => {
  /** Rejected on sight by the manifest's config_normalization_rules (Asana dropped API keys in 2017). */
  const LEGACY = new Set(["api_key", "username", "password"]);

  it("every config key the manifest or the runtime reads is a spec property (legacy keys aside)", () => {
    const read = [...manifestConfigKeys(), ...Object.values(USER_SETTINGS).map((s) => s.key)].filter((k) => !LEGACY.has(k));
    expect(read.filter((key) => !(key in spec.properties))).toEqual([]);
    expect(read).toEqual(expect.arrayContaining(["credentials", "base_url", "start_date", "num_workers"]));
  });

  it("each numeric setting has a title, a description, a type, a default and bounds", () => {
    const numeric = Object.entries(spec.properties).filter(([, p]) => p.type === "number" || p.type === "integer");
    expect(numeric.map(([key]) => key).sort()).toEqual(
      ["num_workers", ...Object.values(USER_SETTINGS).map((s) => s.key)].sort(),
    );
    for (const [key, p] of numeric) {
      const problems = ["title", "description", "default"].filter((k) => p[k] === undefined);
      if (p.minimum === undefined && p.exclusiveMinimum === undefined) problems.push("a lower bound");
      expect(problems, key).toEqual([]);
      expect(typeof p.default, key).toBe("number");
    }
  });

  it("the test hooks are underscore keys, never in the spec, the docs or --about", () => {
    const docs = ["README.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`), "integration_tests/meltano/meltano.yml"];
    for (const hook of Object.values(TEST_HOOKS)) {
      expect(hook.key.startsWith("_")).toBe(true);
      expect(JSON.stringify(spec)).not.toContain(hook.key);
      for (const doc of docs) expect(readFileSync(join(ROOT, doc), "utf8"), doc).not.toContain(hook.key);
    }
  });

  it("the spec's default ceiling is the manifest's api_budget (1,500 a minute)", () => {
    expect(spec.properties.max_requests_per_second!.default).toBe(25);
    expect(settingsFor(PAT).maxRate).toBe(25);
  });
});

describe("runtimeSettings", () => {
  it("gives a config without settings the spec's defaults and the test hooks' fixed values", () => {
    expect(settingsFor(PAT)).toEqual({
      concurrency: 20,
      initialRate: 1.25,
      maxRate: 25,
      requestTimeoutMs: 60_000,
      maxRetryAfterSeconds: 300,
      backoffBaseSeconds: 1,
      checkpointIntervalMs: 1000,
      progressIntervalMs: 30_000,
    });
  });

  it("takes every setting from the config, and the test hooks from their underscore keys", () => {
    const config = {
      ...PAT,
      num_workers: 4,
      requests_per_second: 3,
      max_requests_per_second: 2.5,
      request_timeout_seconds: 0.5,
      max_retry_after_seconds: 30,
      _backoff_base_seconds: 0.01,
      _checkpoint_interval_ms: 0,
      _progress_interval_ms: 200,
    };
    expect(settingsFor(config)).toEqual({
      concurrency: 4,
      initialRate: 2.5, // never above the ceiling
      maxRate: 2.5,
      requestTimeoutMs: 500,
      maxRetryAfterSeconds: 30,
      backoffBaseSeconds: 0.01,
      checkpointIntervalMs: 0,
      progressIntervalMs: 200,
    });
  });

  it("refuses a test hook out of its bounds as a config_error", () => {
    for (const bad of [{ _backoff_base_seconds: 0 }, { _checkpoint_interval_ms: -1 }, { _checkpoint_interval_ms: "0" }]) {
      let error: unknown;
      try {
        settingsFor({ ...PAT, ...bad });
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(bad)).toBeInstanceOf(ConnectorError);
      expect((error as ConnectorError).failureType).toBe("config_error");
    }
  });
});
