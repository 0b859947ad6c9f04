/**
 * The build's parsed and resolved copies of the manifest give the loader exactly what parsing and
 * resolving its YAML gives, and a config is validated the same without checking the build's spec
 * against the meta-schema again.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/cli/inputs.js";
import { loadSpec } from "../../src/cli/runtime.js";
import { propagateComponents } from "../../src/manifest/components.js";
import { DEFAULT_MANIFEST, parseManifest, parseManifestYaml, resolvedTree } from "../../src/manifest/load.js";
import {
  PARSED_MANIFEST,
  RESOLVED_MANIFEST,
  cachedParse,
  cachedResolved,
  manifestDigest,
  writeParsedCache,
  writeResolvedCache,
} from "../../src/manifest/parsed-cache.js";
import { resolveReferences } from "../../src/manifest/references.js";
import { ROOT } from "../helpers/shared.js";

describe("parsed manifest cache", () => {
  const text = readFileSync(DEFAULT_MANIFEST, "utf8");
  const file = join(mkdtempSync(join(tmpdir(), "parsed-cache-")), "manifest.parsed.json");

  it("holds the YAML's tree for that very text, and nothing for another text or no file", () => {
    expect(cachedParse(text, file)).toBeUndefined();
    writeParsedCache(text, parseManifestYaml(text, DEFAULT_MANIFEST), file);
    expect(cachedParse(text, file)).toEqual(parseManifestYaml(text, DEFAULT_MANIFEST));
    expect(cachedParse(`${text}\n# edited\n`, file)).toBeUndefined();
  });

  it("resolves to the same components as the YAML (its aliases become copies, which nothing tells apart)", () => {
    writeParsedCache(text, parseManifestYaml(text, DEFAULT_MANIFEST), file);
    const resolved = (raw: unknown): unknown => propagateComponents(resolveReferences(raw as Record<string, unknown>));
    expect(resolved(cachedParse(text, file))).toEqual(resolved(parseManifestYaml(text, DEFAULT_MANIFEST)));
  });
});

describe("resolved manifest cache", () => {
  const text = readFileSync(DEFAULT_MANIFEST, "utf8");
  const dir = mkdtempSync(join(tmpdir(), "resolved-cache-"));
  const fromYaml = resolvedTree(parseManifestYaml(text, DEFAULT_MANIFEST), DEFAULT_MANIFEST);

  it("holds the resolved tree of that very text, its shared components still shared", () => {
    const file = join(dir, "manifest.resolved.bin");
    expect(cachedResolved(text, file)).toBeUndefined();
    writeResolvedCache(text, fromYaml, file);
    const cached = cachedResolved(text, file);
    expect(cached).toEqual(fromYaml);
    expect(cachedResolved(`${text}\n# edited\n`, file)).toBeUndefined();
    // One object in many places stays one object (the tree would be megabytes of copies otherwise).
    const shared = (tree: unknown): number => {
      const seen = new Set<object>();
      let again = 0;
      const walk = (node: unknown): void => {
        if (!node || typeof node !== "object") return;
        if (seen.has(node)) {
          again++;
          return;
        }
        seen.add(node);
        for (const value of Object.values(node)) walk(value);
      };
      walk(tree);
      return again;
    };
    expect(shared(cached)).toBe(shared(fromYaml));
    expect(shared(cached)).toBeGreaterThan(0);
  });

  it("is not taken from another V8 version, nor from a file that is not one", () => {
    const otherV8 = join(dir, "other-v8.bin");
    writeFileSync(otherV8, serialize({ sha256: manifestDigest(text), v8: "0.0.0", resolved: fromYaml }));
    expect(cachedResolved(text, otherV8)).toBeUndefined();
    const garbage = join(dir, "garbage.bin");
    writeFileSync(garbage, "not V8's format");
    expect(cachedResolved(text, garbage)).toBeUndefined();
    const wrongShape = join(dir, "wrong-shape.bin");
    writeFileSync(wrongShape, serialize({ sha256: manifestDigest(text), v8: process.versions.v8, resolved: "no tree" }));
    expect(cachedResolved(text, wrongShape)).toBeUndefined();
  });

  it("the build wrote it, the spec's compiled validator and the parsed copy for the package's manifest", async () => {
    const dist = (path: string): string => pathToFileURL(join(ROOT, "dist/src", path)).href;
    const built = (await import(dist("manifest/parsed-cache.js"))) as typeof import("../../src/manifest/parsed-cache.js");
    expect(built.cachedResolved(text)).toEqual(fromYaml);
    expect(built.cachedParse(text)).toEqual(JSON.parse(JSON.stringify(parseManifestYaml(text, DEFAULT_MANIFEST))));
    const validator = (await import(dist("cli/config-validator.js"))) as typeof import("../../src/cli/config-validator.js");
    expect(existsSync(validator.PREBUILT_VALIDATOR)).toBe(true);
  });

  it("a manifest given its parsed tree reads no cache", () => {
    const loaded = parseManifest(text, DEFAULT_MANIFEST, parseManifestYaml(text, DEFAULT_MANIFEST));
    expect(loaded.prebuilt).toBe(false);
    expect(loaded.root).toEqual(fromYaml);
  });
});

describe("the spec the build checked", () => {
  const { spec } = loadSpec(undefined);
  const problems = (config: Record<string, unknown>, specChecked: boolean): string | undefined => {
    try {
      validateConfig(config, spec.connectionSpecification, specChecked);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("validates a config exactly as when the spec is checked again at start", () => {
    const configs: Array<Record<string, unknown>> = [
      { credentials: { option_title: "PAT Credentials", personal_access_token: "abcd-1234" } },
      { credentials: { option_title: "PAT Credentials", personal_access_token: "abcd-1234" }, num_workers: 0, base_url: "http://10.0.0.1" },
      { credentials: { option_title: "Nothing" }, start_date: "yesterday" },
      {},
    ];
    for (const config of configs) expect(problems(config, true)).toBe(problems(config, false));
    expect(problems(configs[1]!, true)).toMatch(/num_workers/);
  });

  it("is the manifest this build loads from its parsed copy (tests run from the sources, without one)", () => {
    expect(loadSpec(undefined).manifest.prebuilt).toBe(existsSync(PARSED_MANIFEST) || existsSync(RESOLVED_MANIFEST));
  });
});
