/**
 * The sync driver both entry points share (Airbyte `read`, the Singer tap's sync): check the
 * catalog's streams against the source, read them with the engine, then report: one summary
 * line, one config_error per stream the catalog names that the source lacks, one error per
 * stream that failed. Parsing a protocol's catalog and state, and writing its messages, stay in
 * each CLI and its writer; this module knows neither protocol.
 */
import { type StreamSelection, checkSelection } from "../engine/catalog.js";
import { readStreams } from "../engine/read.js";
import { type StateBlob, futureCursorWarning } from "../engine/state.js";
import type { ConnectorError } from "../errors.js";
import { logUpdateTerminal, wantsLiveDisplay } from "../progress/display.js";
import { SyncProgress } from "../progress/progress.js";
import type { SyncEmitter } from "../protocol/emitter.js";
import type { Runtime } from "./runtime.js";

/** What a catalog asks for, protocol-neutral. */
export interface SyncSelection {
  /** The streams to read, in catalog order, with their sync modes (names unknown to the source are reported, not read). */
  streams: StreamSelection[];
  /** Names the catalog selects that the protocol's own catalog parsing found unknown already. */
  unknown?: string[];
  /** Selected top-level fields per stream, for streams whose catalog narrows the columns. */
  fields?: Map<string, string[]>;
  /** The error reported for a stream the source does not have (each protocol words its remedy). */
  unknownStream(name: string): ConnectorError;
}

/** A protocol writer: the engine's emitter, plus how a failure is reported, and row estimates where the protocol has them. */
export interface SyncWriter extends SyncEmitter {
  connectorError(error: ConnectorError, stream?: string): Promise<void>;
  estimate?(stream: string, rowEstimate: number): Promise<void>;
}

/**
 * The sync's progress: a live block on stderr when that is a terminal of its own (not in CI,
 * not piped), else a summary line in the protocol's log every `progressIntervalMs`; ESTIMATE
 * messages through the writer where it has them.
 */
async function progressFor(runtime: Runtime, writer: SyncWriter): Promise<SyncProgress> {
  const live = wantsLiveDisplay(process.stderr, process.stdout, process.env);
  return new SyncProgress({
    sink: writer,
    requests: () => runtime.env.rate.snapshot(),
    ceiling: runtime.settings.maxRate,
    summaryIntervalMs: runtime.settings.progressIntervalMs,
    ...(live ? { terminal: await logUpdateTerminal(process.stderr) } : {}),
  });
}

/**
 * Reads the selection with `runtime`, resuming from `states` (per-stream blobs, the same in both
 * protocols), and reports through `writer`. Returns the exit code: 1 when a stream failed or the
 * catalog names an unknown stream, else 0. The caller owns (and closes) the runtime.
 */
export async function runSync(
  runtime: Runtime,
  selection: SyncSelection,
  states: ReadonlyMap<string, StateBlob>,
  writer: SyncWriter,
): Promise<number> {
  const checked = checkSelection(runtime.source, selection.streams);
  const unknown = [...(selection.unknown ?? []), ...checked.unknown];
  const started = Date.now();
  for (const stream of checked.known) {
    const cursor = runtime.source.streams.find((d) => d.name === stream.name)?.cursor;
    const blob = states.get(stream.name);
    const future = stream.syncMode === "incremental" && cursor && blob ? futureCursorWarning(stream.name, cursor, blob, new Date(started)) : undefined;
    if (future) await writer.log("WARN", future);
  }
  const progress = await progressFor(runtime, writer);
  progress.start();
  const result = await readStreams({
    source: runtime.source,
    selected: checked.known.map((s) => s.name),
    emitter: progress.wrap(writer),
    observer: progress,
    env: runtime.env,
    concurrency: runtime.settings.concurrency,
    ...(selection.fields?.size ? { fields: selection.fields } : {}),
    incremental: new Set(checked.known.filter((s) => s.syncMode === "incremental").map((s) => s.name)),
    states,
    checkpointIntervalMs: runtime.settings.checkpointIntervalMs,
  }).finally(() => progress.stop());
  const rate = runtime.env.rate.snapshot();
  const counts = [...result.recordsByStream].map(([name, n]) => `${name}=${n}`).join(", ");
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  await writer.log(
    "INFO",
    `Read ${counts || "no streams"} with ${rate.dispatched} requests (${rate.rateLimited} rate limited) in ${seconds} s`,
  );
  for (const name of unknown) await writer.connectorError(selection.unknownStream(name), name);
  for (const failure of result.failures) await writer.connectorError(failure.error, failure.stream);
  return result.failures.length || unknown.length ? 1 : 0;
}
