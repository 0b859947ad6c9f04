/**
 * The Events API's log and sync tokens (https://developers.asana.com/reference/events). Mutations record events on every resource
 * that sees them (a task's projects and the task itself; a subtask's ancestors too). A sync token
 * names a position in the log for one resource and its issue time on the simulated clock; it is
 * signed, so a token for another resource or a forged one is invalid, and it expires 24 h after
 * issue. `GET /events` without a valid token answers 412 with a fresh token.
 */
import { createHash } from "node:crypto";
import type { Json } from "./records.js";

export const SYNC_TOKEN_TTL_MS = 24 * 3600 * 1000;
export const EVENTS_PAGE_SIZE = 100;
export const SYNC_INVALID_MESSAGE =
  "Sync token invalid or too old. If you are attempting to keep resources in sync, you must fetch the full dataset for this query now and use the new sync token for the next sync.";

export interface ResourceRef {
  gid: string;
  resource_type: string;
  resource_subtype?: string;
}

/** One event, as `GET /events` returns it. */
export interface AsanaEvent {
  user: { gid: string; resource_type: "user" };
  created_at: string;
  type: string;
  action: "changed" | "added" | "removed" | "deleted" | "undeleted";
  resource: ResourceRef;
  parent: ResourceRef | null;
  change?: { field: string; action: "changed" };
}

export interface EventPage {
  data: AsanaEvent[];
  sync: string;
  has_more: boolean;
}

export class EventLog {
  /** events[k] has sequence number k + 1. */
  private readonly events: AsanaEvent[] = [];
  /** Per resource gid, the sequence numbers of its events, ascending. */
  private readonly byResource = new Map<string, number[]>();

  constructor(private readonly secret: string) {}

  /** Sequence number of the newest event (0 = none yet). */
  get seq(): number {
    return this.events.length;
  }

  record(event: AsanaEvent, resources: Iterable<string>): void {
    this.events.push(event);
    const seq = this.events.length;
    for (const gid of new Set(resources)) {
      const list = this.byResource.get(gid) ?? [];
      list.push(seq);
      this.byResource.set(gid, list);
    }
  }

  /** Every event recorded on a resource, oldest first (for tests). */
  eventsFor(resource: string): AsanaEvent[] {
    return (this.byResource.get(resource) ?? []).map((seq) => this.events[seq - 1]!);
  }

  private signature(resource: string, seq: number, issued: number): string {
    return createHash("sha256").update(`${this.secret}\n${resource}\n${seq}\n${issued}`).digest("hex").slice(0, 20);
  }

  /** A token for "after event `seq`" of `resource`, issued at `now`. */
  token(resource: string, seq: number, now: number): string {
    const issued = Math.floor(now);
    return Buffer.from(`${seq}.${issued}.${this.signature(resource, seq, issued)}`).toString("base64url");
  }

  /** The position a token stands for, or undefined when it is not valid for `resource` or expired at `now`. */
  parse(resource: string, token: string, now: number): number | undefined {
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) return undefined;
    const match = /^(\d+)\.(\d+)\.([0-9a-f]{20})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
    if (match === null) return undefined;
    const seq = Number(match[1]);
    const issued = Number(match[2]);
    if (match[3] !== this.signature(resource, seq, issued) || seq > this.seq) return undefined;
    if (now - issued > SYNC_TOKEN_TTL_MS) return undefined;
    return seq;
  }

  /** Up to `max` events of `resource` after `afterSeq`, and the token to continue from. */
  read(resource: string, afterSeq: number, now: number, max = EVENTS_PAGE_SIZE): EventPage {
    const seqs = this.byResource.get(resource) ?? [];
    let start = 0;
    while (start < seqs.length && seqs[start]! <= afterSeq) start++;
    const page = seqs.slice(start, start + max);
    const hasMore = start + max < seqs.length;
    const last = hasMore ? page[page.length - 1]! : this.seq;
    return { data: page.map((seq) => this.events[seq - 1]!), sync: this.token(resource, Math.max(last, afterSeq), now), has_more: hasMore };
  }

  /** The 412 body for a missing, invalid or expired token. */
  invalidBody(resource: string, now: number): { [key: string]: Json } {
    return { errors: [{ message: SYNC_INVALID_MESSAGE }], sync: this.token(resource, this.seq, now) };
  }
}
