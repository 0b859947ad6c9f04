/**
 * The records a parent stream emitted in partitions that are not complete yet (their children
 * are still being read), kept in its state under `emitted_keys` as `{ "<key>": "<cursor value>" }`
 * (an empty value for a stream without a cursor):
 *
 *   { ..., "emitted_keys": { "1204": "2024-05-01T10:00:00.000000Z" } }
 *
 * A sync killed while such a partition is open resumes by reading it again (its children need
 * its records), but it does not emit those records a second time: a record whose key is listed
 * counts as emitted, unless its cursor moved since (it changed: the new version is emitted). A
 * partition's keys leave the list when it completes (but those at its new position, which a
 * resumed sync reads again), and a finished stream lists none, so the
 * list holds at most the records of the partitions in flight (and at most MAX_EMITTED_KEYS:
 * past that no more keys are noted, and a resumed sync emits the others again).
 */
import { isNode } from "../declarative/node.js";
import type { Slice } from "./fetch.js";
import { type StateBlob, partitionKey } from "./state.js";

export const EMITTED_KEYS = "emitted_keys";
export const MAX_EMITTED_KEYS = 10_000;

export class EmittedKeys {
  /** Keys (with cursor values) of the partitions open in this sync. */
  private readonly open = new Map<string, Map<string, string>>();
  private size = 0;
  /** Keys the interrupted sync this one resumes had emitted. */
  private readonly before = new Map<string, string>();

  constructor(saved: StateBlob | undefined) {
    const listed = saved?.[EMITTED_KEYS];
    if (!isNode(listed)) return;
    for (const [key, value] of Object.entries(listed)) if (typeof value === "string") this.before.set(key, value);
  }

  /** The cursor value a record had when the interrupted sync emitted it (undefined: not emitted). */
  emittedBefore(key: string): string | undefined {
    return this.before.get(key);
  }

  /**
   * Lists the records of `partition` as they are emitted (or counted as emitted), until the
   * partition completes: the returned function takes a record's key and cursor value.
   */
  listing(partition: Slice): (key: string, cursorValue: string) => void {
    const id = partitionKey(partition);
    return (key, cursorValue) => {
      let keys = this.open.get(id);
      if (!keys) this.open.set(id, (keys = new Map()));
      if (keys.has(key) || this.size >= MAX_EMITTED_KEYS) return;
      keys.set(key, cursorValue);
      this.size++;
    };
  }

  /**
   * `partition` is complete: its records need not be listed any more, except those `keep` picks
   * (an incremental partition keeps the records at its new position, which a resumed sync reads
   * again because the cursor is inclusive).
   */
  drop(partition: Slice, keep?: (cursorValue: string) => boolean): void {
    const id = partitionKey(partition);
    const keys = this.open.get(id);
    if (!keys) return;
    for (const [key, value] of keys) {
      if (keep?.(value)) continue;
      keys.delete(key);
      this.size--;
    }
    if (keys.size === 0) this.open.delete(id);
  }

  /** What the stream's state adds: the keys of its open partitions, if any. */
  snapshot(): StateBlob {
    if (this.size === 0) return {};
    const keys: Record<string, string> = {};
    for (const partition of this.open.values()) for (const [key, value] of partition) keys[key] = value;
    return { [EMITTED_KEYS]: keys };
  }
}
