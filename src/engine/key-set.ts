/**
 * The set of keys a sync remembers (primary keys emitted, partitions scheduled), small enough
 * that memory stays nearly flat as a workspace grows.
 *
 * Asana's keys are gids: decimal integers of 16 digits today. A key that is a canonical decimal
 * integer below 2^53 is kept as a float64 in an open-addressing table (8 bytes a slot, at most
 * half full: 16-32 bytes a key, where a `Set<string>` of 16-character strings costs about 80);
 * any other key goes to an ordinary `Set<string>`. The table stores the numbers themselves, not
 * fingerprints of them, so the set is exact: no collision can make a new key look seen, and no
 * record is dropped.
 */
const INITIAL_CAPACITY = 1024;
const TWO_32 = 4294967296;
const CANONICAL_INTEGER = /^(0|[1-9][0-9]{0,15})$/;

/** The key as a number + 1 (0 marks an empty slot), or undefined when it is not a small canonical integer. */
function numeric(key: string): number | undefined {
  if (!CANONICAL_INTEGER.test(key)) return undefined;
  const n = Number(key);
  return n < Number.MAX_SAFE_INTEGER ? n + 1 : undefined;
}

function slotOf(n: number, mask: number): number {
  const lo = n >>> 0;
  const hi = Math.floor(n / TWO_32) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1);
  h ^= h >>> 15;
  return h & mask;
}

export class KeySet {
  private table = new Float64Array(INITIAL_CAPACITY);
  private count = 0;
  private readonly others = new Set<string>();

  get size(): number {
    return this.count + this.others.size;
  }

  has(key: string): boolean {
    const n = numeric(key);
    if (n === undefined) return this.others.has(key);
    const table = this.table;
    const mask = table.length - 1;
    for (let i = slotOf(n, mask); ; i = (i + 1) & mask) {
      const v = table[i]!;
      if (v === n) return true;
      if (v === 0) return false;
    }
  }

  /** Adds `key`; true when it was not in the set yet. */
  add(key: string): boolean {
    const n = numeric(key);
    if (n === undefined) {
      if (this.others.has(key)) return false;
      this.others.add(key);
      return true;
    }
    if ((this.count + 1) * 2 > this.table.length) this.grow();
    if (!insert(this.table, n)) return false;
    this.count++;
    return true;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2);
    for (const v of old) if (v !== 0) insert(this.table, v);
  }
}

function insert(table: Float64Array, n: number): boolean {
  const mask = table.length - 1;
  for (let i = slotOf(n, mask); ; i = (i + 1) & mask) {
    const v = table[i]!;
    if (v === n) return false;
    if (v === 0) {
      table[i] = n;
      return true;
    }
  }
}
