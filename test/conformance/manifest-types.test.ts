/**
 * src/manifest/components.generated.ts (the typed components the builders read) is what
 * scripts/gen-manifest-types.ts makes of Airbyte's declarative component schema: regenerating
 * changes nothing, and the generator says clearly when the schema is missing. The registry only
 * names components the generated types (so Airbyte's schema) define.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { SUPPORTED_COMPONENTS, generate, main } from "../../scripts/gen-manifest-types.js";
import { COMPONENT_KEYS } from "../../src/manifest/components.generated.js";
import { COMPONENT_REGISTRY } from "../../src/declarative/registry.js";
import { ROOT, sharedFile, skipNote } from "../helpers/shared.js";

const SCHEMA = "airbyte/declarative_component_schema.yaml";
const schemaPath = sharedFile(SCHEMA);
const GENERATED = join(ROOT, "src", "manifest", "components.generated.ts");

describe.skipIf(!schemaPath)("manifest types generated from Airbyte's component schema", () => {
  const temp = mkdtempSync(join(tmpdir(), "gen-manifest-types-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("`gen-manifest-types --check` finds nothing to change", async () => {
    const lines: string[] = [];
    const code = await main(["--check"], (line) => lines.push(line));
    expect(code, `run \`npm run gen:manifest-types\`:\n${lines.join("\n")}`).toBe(0);
  });

  it("is deterministic, and --check names an out-of-date file", async () => {
    expect(await generate(schemaPath!)).toBe(readFileSync(GENERATED, "utf8"));
    const out = join(temp, "components.generated.ts");
    const lines: string[] = [];
    expect(await main(["--check", "--out", out], (line) => lines.push(line))).toBe(1);
    expect(lines.join("\n")).toContain("out of date");
    expect(await main(["--out", out], () => {})).toBe(0);
    expect(await main(["--check", "--out", out], () => {})).toBe(0);
  });
});

describe.skipIf(schemaPath)("manifest types generated from Airbyte's component schema (skipped)", () => {
  it("needs ../shared", () => {
    console.warn(skipNote(SCHEMA));
  });
});

describe("gen-manifest-types without the schema", () => {
  it("exits 2 and says which file is missing", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      expect(await main(["--check", "--schema", join(tmpdir(), "no-such-schema.yaml")], () => {})).toBe(2);
      expect(String(error.mock.calls[0]?.[0])).toMatch(/declarative component schema not found: .*no-such-schema\.yaml/);
    } finally {
      error.mockRestore();
    }
  });
});

describe("component registry", () => {
  it("registers only components the generated types define, and the generator generates them all", () => {
    const generated = new Set(Object.keys(COMPONENT_KEYS));
    for (const [category, registry] of Object.entries(COMPONENT_REGISTRY)) {
      for (const type of Object.keys(registry)) expect(generated.has(type), `${category}: ${type}`).toBe(true);
    }
    expect([...SUPPORTED_COMPONENTS].sort()).toEqual([...generated].sort());
  });
});
