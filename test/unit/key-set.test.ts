import { describe, expect, it } from "vitest";
import { KeySet } from "../../src/engine/key-set.js";

describe("KeySet", () => {
  it("is exact for gids across growth: every key once, nothing new looks seen", () => {
    const keys = new KeySet();
    const gids: string[] = [];
    // Gids that differ only in the bits a weak hash would drop, plus sequential ones.
    for (let i = 0; i < 20_000; i++) gids.push(String(1_200_000_000_000_000 + i * 4_294_967_296));
    for (let i = 1; i <= 20_000; i++) gids.push(String(1_200_000_000_000_000 + i));
    for (const gid of gids) expect(keys.add(gid)).toBe(true);
    expect(keys.size).toBe(gids.length);
    for (const gid of gids) {
      expect(keys.has(gid)).toBe(true);
      expect(keys.add(gid)).toBe(false);
    }
    for (let i = 20_001; i < 21_000; i++) expect(keys.has(String(1_200_000_000_000_000 + i))).toBe(false);
    expect(keys.size).toBe(gids.length);
  });

  it("keeps keys that are not canonical small integers apart from their numeric look-alikes", () => {
    const keys = new KeySet();
    for (const key of ["0", "00", "007", "7", "-7", "7.0", "abc", "", "99999999999999999999", "9007199254740993", '["a",1]']) {
      expect(keys.add(key), key).toBe(true);
    }
    expect(keys.size).toBe(11);
    expect(keys.has("7")).toBe(true);
    expect(keys.has("07")).toBe(false);
    expect(keys.has("9007199254740992")).toBe(false);
    expect(keys.add("007")).toBe(false);
  });
});
