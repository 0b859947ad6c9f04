/**
 * The duplicate bound of a killed and resumed sync, from the killed run's own output. A resumed
 * sync re-emits at most (a) the records of the pages in flight at the kill: with `workers` pages
 * fetched at once, every page emitted before the `workers`-th last STATE was vouched for by a
 * STATE after it; (b) per incremental partition resumed from its saved position, the records at
 * that position (the cursor is inclusive: the record that set it is read again); (c) the records
 * of full-refresh streams the killed run had finished (their state says "no position": the
 * resumed sync reads them in full, as the next scheduled sync would); and (d) records in two
 * partitions (a task in two projects) emitted through one before the kill, which the resumed
 * sync meets again through the other.
 */

/** Records per page (the manifest's `limit`). */
export const PAGE_SIZE = 100;

/** The structural bound: every worker's page in flight, re-emitted whole. */
export function pagesInFlightBound(workers: number): number {
  return workers * PAGE_SIZE;
}

export interface KilledRun {
  /** The killed run's message types, in order (Airbyte and Singer spell RECORD and STATE alike). */
  types: Array<string | undefined>;
  /** The records a destination committed of it. */
  committed: Array<{ stream: string; data: Record<string, unknown> }>;
  /** The per-stream states the resumed sync starts from. */
  states: Map<string, unknown>;
  workers: number;
}

export function duplicateBound({ types, committed, states, workers }: KilledRun): number {
  const stateLines = types.flatMap((type, i) => (type === "STATE" ? [i] : []));
  const from = (stateLines[stateLines.length - workers] ?? -1) + 1;
  const inFlight = types.slice(from).filter((type) => type === "RECORD").length;
  const finished = new Set([...states].flatMap(([stream, blob]) => (isFinishedFullRefresh(blob) ? [stream] : [])));
  const reread = committed.filter((r) => finished.has(r.stream) || isMultiHomed(r.stream, r.data)).length;
  return inFlight + partitionPositions(states.values()) + reread;
}

/** Per-partition positions in per-stream state blobs (`{"states": [...]}` entries with a cursor value). */
function partitionPositions(blobs: Iterable<unknown>): number {
  let count = 0;
  for (const blob of blobs) {
    const states = (blob as { states?: unknown } | undefined)?.states;
    if (Array.isArray(states)) count += states.filter((s) => !(s as { cursor?: Record<string, unknown> }).cursor?.__ab_full_refresh_sync_complete).length;
  }
  return count;
}

/** The final state of a full-refresh stream ("no position": read in full next time). */
function isFinishedFullRefresh(blob: unknown): boolean {
  return (blob as { __ab_no_cursor_state_message?: unknown } | undefined)?.__ab_no_cursor_state_message === true;
}

/** A task listed in more than one project: read in each project's partition. */
function isMultiHomed(stream: string, record: Record<string, unknown>): boolean {
  return stream === "tasks" && Array.isArray(record.projects) && record.projects.length > 1;
}
