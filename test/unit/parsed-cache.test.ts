/** The build's parsed copy of the manifest gives the loader exactly what parsing its YAML gives. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { propagateComponents } from "../../src/manifest/components.js";
import { DEFAULT_MANIFEST, parseManifestYaml } from "../../src/manifest/load.js";
import { cachedParse, writeParsedCache } from "../../src/manifest/parsed-cache.js";
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
