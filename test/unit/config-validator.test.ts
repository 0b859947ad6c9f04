/**
 * The config validator the build compiles to code gives the errors Ajv's compilation of the same
 * spec gives, is taken only for the spec it was compiled from, and a missing or broken file
 * falls back to Ajv.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configValidator, writePrebuiltValidator } from "../../src/cli/config-validator.js";
import { loadSpec } from "../../src/cli/runtime.js";
import { ROOT } from "../helpers/shared.js";

// The compiled code requires ajv's and ajv-formats' runtime: beside it, as in the package.
const dir = mkdtempSync(join(tmpdir(), "config-validator-"));
symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
const spec = loadSpec(undefined).spec.connectionSpecification;
const pat = { option_title: "PAT Credentials", personal_access_token: "abcd-1234" };

/** Configs valid and invalid in every way the spec can tell. */
const CONFIGS: Array<Record<string, unknown>> = [
  { credentials: pat },
  { credentials: pat, start_date: "2024-01-01T00:00:00Z", num_workers: 4, base_url: "https://app.asana.com/api/1.0" },
  {},
  { credentials: { option_title: "Nothing" } },
  { credentials: { option_title: "PAT Credentials" } },
  { credentials: pat, start_date: "yesterday" },
  { credentials: pat, start_date: "2024-13-45T99:00:00Z" },
  { credentials: pat, num_workers: 0 },
  { credentials: pat, num_workers: "four" },
  { credentials: pat, base_url: "ftp://example.com" },
  { credentials: pat, requests_per_second: -1, max_requests_per_second: 1e9 },
  { credentials: { option_title: "OAuth Credentials", client_id: 5 } },
  { credentials: pat, workspaces: "not a list" },
];

describe("the prebuilt config validator", () => {
  const file = join(dir, "validator.cjs");
  writePrebuiltValidator(spec, file);
  const compiled = configValidator(spec, true, join(dir, "absent.cjs"));
  const prebuilt = configValidator(spec, true, file);

  it("is loaded from the file, not compiled again", () => {
    expect(prebuilt).toBe((createRequire(import.meta.url)(file) as { default: unknown }).default);
    expect(compiled).not.toBe(prebuilt);
    expect(configValidator(spec, true, file)).toBe(prebuilt);
  });

  it("accepts and rejects what Ajv's compilation does, with the same errors", () => {
    let rejected = 0;
    for (const config of CONFIGS) {
      const valid = compiled(config);
      expect(prebuilt(config), JSON.stringify(config)).toBe(valid);
      if (!valid) rejected++;
      const shape = (v: typeof compiled) => (v.errors ?? []).map((e) => ({ ...e, schema: JSON.stringify(e.schema), parentSchema: JSON.stringify(e.parentSchema) }));
      expect(shape(prebuilt)).toEqual(shape(compiled));
    }
    expect(rejected).toBeGreaterThanOrEqual(CONFIGS.length - 2);
  });

  it("is not taken for another spec: that spec is compiled", () => {
    const stricter = { ...spec, required: [...((spec.required as string[] | undefined) ?? []), "start_date"] };
    const validate = configValidator(stricter, true, file);
    expect(validate).not.toBe(prebuilt);
    expect(validate({ credentials: pat })).toBe(false);
    expect(prebuilt({ credentials: pat })).toBe(true);
  });

  it("a file that is not a validator is ignored", () => {
    const broken = join(dir, "broken.cjs");
    writeFileSync(broken, "module.exports = { specSha256: 'x' };\n");
    expect(configValidator(spec, true, broken)({ credentials: pat })).toBe(true);
    const failing = join(dir, "failing.cjs");
    writeFileSync(failing, "throw new Error('half written');\n");
    expect(configValidator(spec, true, failing)({})).toBe(false);
  });
});
