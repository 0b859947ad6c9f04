/**
 * The duplicate bound of a killed and resumed sync, from the killed run's own output. A resumed
 * sync re-emits at most (a) the records of the pages in flight at the kill: with `workers` pages
 * fetched at once, every page emitted before the `workers`-th last STATE was vouched for by a
 * STATE after it; and (b) per incremental partition resumed from its saved position, the records
 * at that position (the cursor is inclusive: the record that set it is read again); and (c) the
 * records of full-refresh streams the killed run had finished (their state says "no position":
 * the resumed sync reads them in full, as the next scheduled sync would); and (d) records in two
 * partitions (a task in two projects) emitted through one before the kill, which the resumed
 * sync meets again through the other.
 */
export interface BoundInput {
  /** The killed run's messages, in order: "state" and records as "record". */
  kinds: MessageKind[];
  workers: number;
  /** Per-partition positions in the state the resumed sync starts from. */
  partitionPositions: number;
  /** Records the killed run emitted of full-refresh streams it finished. */
  finishedRecords: number;
  /** Records the killed run emitted that sit in more than one partition. */
  multiHomed: number;
}

/** Records per page (the manifest's `limit`). */
export const PAGE_SIZE = 100;

/** The structural bound the tests assert: every worker's page in flight, re-emitted whole. */
export function pagesInFlightBound(workers: number): number {
  return workers * PAGE_SIZE;
}

export type MessageKind = "record" | "state" | "other";

/** The kind of a message by its `type` (Airbyte and Singer spell RECORD and STATE alike). */
export function kindOf(type: string | undefined): MessageKind {
  return type === "RECORD" ? "record" : type === "STATE" ? "state" : "other";
}

export function duplicateBound({ kinds, workers, partitionPositions, finishedRecords, multiHomed }: BoundInput): number {
  const states = kinds.flatMap((k, i) => (k === "state" ? [i] : []));
  const from = (states[states.length - workers] ?? -1) + 1;
  return kinds.slice(from).filter((k) => k === "record").length + partitionPositions + finishedRecords + multiHomed;
}

/** Per-partition positions in per-stream state blobs (`{"states": [...]}` entries with a cursor value). */
export function partitionPositions(blobs: Iterable<unknown>): number {
  let count = 0;
  for (const blob of blobs) {
    const states = (blob as { states?: unknown } | undefined)?.states;
    if (Array.isArray(states)) count += states.filter((s) => !(s as { cursor?: Record<string, unknown> }).cursor?.__ab_full_refresh_sync_complete).length;
  }
  return count;
}

/** True for the final state of a full-refresh stream ("no position": read in full next time). */
export function isFinishedFullRefresh(blob: unknown): boolean {
  return (blob as { __ab_no_cursor_state_message?: unknown } | undefined)?.__ab_no_cursor_state_message === true;
}

/** A task listed in more than one project: read in each project's partition. */
export function isMultiHomed(stream: string | undefined, record: Record<string, unknown> | undefined): boolean {
  return stream === "tasks" && Array.isArray(record?.projects) && record.projects.length > 1;
}
