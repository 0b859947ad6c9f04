/**
 * Resumable full refresh for partitioned streams, in the CDK's shape for child partitions:
 *
 *   { "states": [ { "partition": {...}, "cursor": { "__ab_full_refresh_sync_complete": true } } ] }
 *
 * A partition of a selected full-refresh stream counts as complete once its pages and everything
 * read because of its records (child partitions, at any depth) are emitted; the stream then
 * checkpoints the list of complete partitions. It also checkpoints, per partition being read,
 * the token of the page after the last one it emitted (`{ "next_page_token": ... }`; with
 * children in the sync, the last one whose children are all emitted too), and a resumed sync
 * continues such a partition from that page. A sync resumed from such a state does not emit
 * those partitions again: a stream without children in the sync does not even request them; one
 * with children reads them without emitting, so its children still get their partitions. When
 * the stream finishes, its state goes back to "no position" (`__ab_no_cursor_state_message`), so
 * the next scheduled sync reads it in full again.
 *
 * An incremental child stream with a global cursor (one position for all its partitions, which
 * cannot say which of them a killed sync finished) keeps the same list of complete partitions
 * beside its cursor, under `completed_partitions` (each by its own values), until it finishes; a resumed sync skips them
 * as above, except where the change feed asks for a partition to be read again.
 *
 * Memory and state size stay bounded: a stream tracks at most MAX_TRACKED_PARTITIONS complete
 * partitions (the CDK caps per-partition state at 10,000 likewise). Past that (the stories of a
 * large workspace: one partition per task) it stops checkpointing: its last checkpoint stays
 * true, and a resumed sync re-emits only what came after it.
 */
import { isNode } from "../declarative/node.js";
import type { Slice } from "./fetch.js";
import { type StateBlob, partitionKey } from "./state.js";

export const COMPLETE_MARK = "__ab_full_refresh_sync_complete";
const NEXT_PAGE = "next_page_token";
/** Where an incremental child stream with a global cursor keeps the same list, beside its cursor. */
export const COMPLETED_PARTITIONS = "completed_partitions";
export const MAX_TRACKED_PARTITIONS = 1_000;

/**
 * A partition's identity: its own values, without the parent's slice. The read loop reads a
 * child partition once per sync whichever parent leads to it (a task's stories, whether reached
 * through one project or another), so a partition completed through one parent is complete.
 */
function identityOf(partition: Slice): string {
  return partitionKey(ownValues(partition));
}

function ownValues(partition: Slice): Slice {
  const { parent_slice: _parent, ...own } = partition;
  void _parent;
  return own;
}

export class FullRefreshResume {
  /** Keys of partitions complete in the sync being resumed, or in this one. */
  private readonly done = new Set<string>();
  /** Complete partitions, in the order they completed (what the state lists). */
  private readonly complete: Slice[] = [];
  /** Partitions part-read: the token of the next page to read. */
  private readonly next = new Map<string, { partition: Slice; token: string }>();
  /** More partitions completed than are tracked: no more checkpoints. */
  private full = false;

  /** The complete partitions a saved state lists (anything else in it is ignored). */
  constructor(saved: StateBlob | undefined) {
    const entries = Array.isArray(saved?.states) ? (saved.states as unknown[]) : [];
    for (const entry of entries) {
      if (typeof entry !== "object" || entry === null) continue;
      const { partition, cursor } = entry as { partition?: unknown; cursor?: Record<string, unknown> };
      if (typeof partition !== "object" || partition === null) continue;
      if (cursor?.[COMPLETE_MARK] === true) this.markComplete(partition as Slice);
      else if (typeof cursor?.[NEXT_PAGE] === "string") this.pageDone(partition as Slice, cursor[NEXT_PAGE] as string);
    }
  }

  /** An incremental child stream's list, kept under COMPLETED_PARTITIONS in its cursor state. */
  static ofIncremental(saved: StateBlob | undefined): FullRefreshResume {
    const resume = new FullRefreshResume(undefined);
    const entries = saved?.[COMPLETED_PARTITIONS];
    if (Array.isArray(entries)) for (const entry of entries) if (isNode(entry)) resume.markComplete(entry);
    return resume;
  }

  isComplete(partition: Slice): boolean {
    return this.done.has(identityOf(partition));
  }

  /** Notes a complete partition; false once the stream tracks too many to checkpoint them. */
  markComplete(partition: Slice): boolean {
    if (this.full) return false;
    const key = identityOf(partition);
    this.next.delete(key);
    if (this.done.has(key)) return true;
    if (this.complete.length >= MAX_TRACKED_PARTITIONS) {
      this.full = true;
      this.next.clear();
      return false;
    }
    this.done.add(key);
    this.complete.push(partition);
    return true;
  }

  /** The partition's records up to the page before `token` are emitted; false when not tracked. */
  pageDone(partition: Slice, token: string): boolean {
    if (this.full) return false;
    this.next.set(identityOf(partition), { partition, token });
    return true;
  }

  /** Where a part-read partition continues, if a previous sync left one. */
  resumeToken(partition: Slice): string | undefined {
    return this.next.get(identityOf(partition))?.token;
  }

  /**
   * What an incremental child stream adds to its cursor state: the complete partitions, if any,
   * by their own values (`{"task_gid": "..."}`, without the parent's slice: a state of a few
   * dozen bytes per partition rather than a few hundred).
   */
  incrementalSnapshot(): StateBlob {
    if (!this.complete.length) return {};
    return { [COMPLETED_PARTITIONS]: this.complete.map(ownValues) };
  }

  /** The checkpoint: every complete partition. */
  snapshot(): StateBlob {
    const complete = this.complete.map((partition) => ({ partition, cursor: { [COMPLETE_MARK]: true } }));
    const partial = [...this.next.values()].map(({ partition, token }) => ({ partition, cursor: { [NEXT_PAGE]: token } }));
    return { states: [...complete, ...partial] };
  }
}
