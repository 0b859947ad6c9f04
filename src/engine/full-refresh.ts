/**
 * Resumable full refresh for partitioned streams, in the CDK's shape for child partitions:
 *
 *   { "states": [ { "partition": {...}, "cursor": { "__ab_full_refresh_sync_complete": true } } ] }
 *
 * A partition of a selected full-refresh stream counts as complete once its pages and everything
 * read because of its records (child partitions, at any depth) are emitted; the stream then
 * checkpoints the list of complete partitions. A sync resumed from such a state does not emit
 * those partitions again: a stream without children in the sync does not even request them; one
 * with children reads them without emitting, so its children still get their partitions. When
 * the stream finishes, its state goes back to "no position" (`__ab_no_cursor_state_message`), so
 * the next scheduled sync reads it in full again.
 */
import type { Slice } from "./fetch.js";
import { type StateBlob, partitionKey } from "./state.js";

export const COMPLETE_MARK = "__ab_full_refresh_sync_complete";

export class FullRefreshResume {
  /** Keys of partitions complete in the sync being resumed, or in this one. */
  private readonly done = new Set<string>();
  /** Complete partitions, in the order they completed (what the state lists). */
  private readonly complete: Slice[] = [];

  /** The complete partitions a saved state lists (anything else in it is ignored). */
  constructor(saved: StateBlob | undefined) {
    const entries = Array.isArray(saved?.states) ? (saved.states as unknown[]) : [];
    for (const entry of entries) {
      if (typeof entry !== "object" || entry === null) continue;
      const { partition, cursor } = entry as { partition?: unknown; cursor?: Record<string, unknown> };
      if (typeof partition !== "object" || partition === null || cursor?.[COMPLETE_MARK] !== true) continue;
      this.markComplete(partition as Slice);
    }
  }

  isComplete(partition: Slice): boolean {
    return this.done.has(partitionKey(partition));
  }

  markComplete(partition: Slice): void {
    const key = partitionKey(partition);
    if (this.done.has(key)) return;
    this.done.add(key);
    this.complete.push(partition);
  }

  /** The checkpoint: every complete partition. */
  snapshot(): StateBlob {
    return { states: this.complete.map((partition) => ({ partition, cursor: { [COMPLETE_MARK]: true } })) };
  }
}
