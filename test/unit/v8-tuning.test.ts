import { describe, expect, it } from "vitest";
import { V8_TUNING, flagGiven } from "../../src/cli/v8-tuning.js";

describe("flagGiven", () => {
  it("finds a flag in Node's arguments or NODE_OPTIONS, in either spelling", () => {
    expect(flagGiven("--heap-growing-percent", ["--heap-growing-percent=100"], undefined)).toBe(true);
    expect(flagGiven("--heap-growing-percent", [], "--max-old-space-size=512 --heap_growing_percent=20")).toBe(true);
    expect(flagGiven("--max-inlined-bytecode-size-cumulative", ["--max_inlined_bytecode_size_cumulative=900"], undefined)).toBe(true);
  });

  it("does not take another flag that starts with the same name", () => {
    expect(flagGiven("--max-inlined-bytecode-size", ["--max-inlined-bytecode-size-cumulative=900"], undefined)).toBe(false);
    expect(flagGiven("--heap-growing-percent", ["--max-semi-space-size=4"], "--enable-source-maps")).toBe(false);
    expect(flagGiven("--heap-growing-percent", [], undefined)).toBe(false);
    expect(flagGiven("--heap-growing-percent", [], "")).toBe(false);
  });

  it("every tuning setting is a flag this Node's V8 knows (so the setting is not a no-op on it)", async () => {
    const { execFileSync } = await import("node:child_process");
    const options = execFileSync(process.execPath, ["--v8-options"], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    for (const setting of V8_TUNING) expect(options).toContain(`${setting.slice(0, setting.indexOf("="))} `);
  });
});
