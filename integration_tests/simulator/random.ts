/**
 * Seeded, order-independent randomness: every value is a pure function of (seed, salt, indices),
 * so any entity's attributes can be computed on demand, in any order, without generating the
 * entities before it. That is what lets the large dataset stay lazy.
 */

/** 32-bit FNV-1a of a string (used once per salt, then cached). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Murmur3's finaliser: a good avalanche for sequential inputs. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class SeededRandom {
  private readonly salts = new Map<string, number>();

  constructor(readonly seed: number) {}

  /** A uniformly distributed unsigned 32-bit integer for (salt, ...indices). */
  uint32(salt: string, ...indices: number[]): number {
    let saltHash = this.salts.get(salt);
    if (saltHash === undefined) {
      saltHash = fnv1a(salt);
      this.salts.set(salt, saltHash);
    }
    let h = fmix32(saltHash ^ Math.imul(this.seed | 0, 0x9e3779b1));
    for (const index of indices) {
      // Split the index into two 32-bit halves so indices above 2^32 still mix in fully.
      h = fmix32(h ^ (index >>> 0));
      h = fmix32(h ^ Math.floor(index / 0x100000000));
    }
    return h;
  }

  /** A float in [0, 1). */
  float(salt: string, ...indices: number[]): number {
    return this.uint32(salt, ...indices) / 0x100000000;
  }

  /** An integer in [min, max] (inclusive). */
  int(min: number, max: number, salt: string, ...indices: number[]): number {
    return min + Math.floor(this.float(salt, ...indices) * (max - min + 1));
  }

  chance(probability: number, salt: string, ...indices: number[]): boolean {
    return this.float(salt, ...indices) < probability;
  }

  pick<T>(items: readonly T[], salt: string, ...indices: number[]): T {
    if (items.length === 0) throw new Error(`pick from an empty list (${salt})`);
    return items[Math.floor(this.float(salt, ...indices) * items.length)]!;
  }

  /** Up to `count` distinct items, in a deterministic order. */
  sample<T>(items: readonly T[], count: number, salt: string, ...indices: number[]): T[] {
    const n = Math.min(count, items.length);
    if (n === 0) return [];
    const start = Math.floor(this.float(salt, ...indices) * items.length);
    // A stride coprime with the length visits distinct positions.
    let stride = 1 + Math.floor(this.float(`${salt}#stride`, ...indices) * Math.max(1, items.length - 1));
    while (gcd(stride, items.length) !== 1) stride++;
    const out: T[] = [];
    for (let k = 0; k < n; k++) out.push(items[(start + k * stride) % items.length]!);
    return out;
  }
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}
