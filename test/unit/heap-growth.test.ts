/** The heap's growing factor is the CLI's unless the user set one. */
import { describe, expect, it } from "vitest";
import { heapGrowthGiven } from "../../src/cli/heap-growth.js";

describe("heapGrowthGiven", () => {
  it("sees the flag in Node's arguments or NODE_OPTIONS, with dashes or underscores", () => {
    expect(heapGrowthGiven(["--heap-growing-percent=100"], undefined)).toBe(true);
    expect(heapGrowthGiven([], "--max-old-space-size=512 --heap_growing_percent=20")).toBe(true);
    expect(heapGrowthGiven(["--max-semi-space-size=4"], "--enable-source-maps")).toBe(false);
    expect(heapGrowthGiven([], undefined)).toBe(false);
    expect(heapGrowthGiven([], "")).toBe(false);
  });
});
