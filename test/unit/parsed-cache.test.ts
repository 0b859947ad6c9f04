/**
 * The build's parsed copy of the manifest gives the loader exactly what parsing its YAML gives, and
 * a config is validated the same without checking the build's spec against the meta-schema again.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/cli/inputs.js";
import { loadSpec } from "../../src/cli/runtime.js";
import { propagateComponents } from "../../src/manifest/components.js";
import { DEFAULT_MANIFEST, parseManifestYaml } from "../../src/manifest/load.js";
import { PARSED_MANIFEST, cachedParse, writeParsedCache } from "../../src/manifest/parsed-cache.js";
import { resolveReferences } from "../../src/manifest/references.js";

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
    expect(loadSpec(undefined).manifest.prebuilt).toBe(existsSync(PARSED_MANIFEST));
  });
});
