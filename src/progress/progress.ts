/**
 * Progress of one sync, for a person and for the platform: it observes the read loop (partitions
 * and pages, engine/observer.ts) and what is emitted (records, stream statuses: a decorator around
 * the protocol writer), polls the rate controller's counters (requests, 429s), and on a timer
 * - sends each selected stream's row estimate (Airbyte ESTIMATE messages) as soon as there is one,
 *   then again when it has moved, at most once per `estimateIntervalMs` per stream, and once
 *   more, its count, right before its COMPLETE status if the last one was off;
 * - redraws the live block on a terminal (at most every `refreshMs`), or else writes one summary
 *   line at INFO every `summaryIntervalMs`.
 * Nothing here makes a request or delays one: it only counts and writes.
 */
import type { ObservedStream, ReadObserver } from "../engine/observer.js";
import type { LogLevel, StreamStatus, SyncEmitter } from "../protocol/emitter.js";
import { type LiveTerminal, type ProgressView, liveText, summaryLine } from "./display.js";
import { RowEstimator, type StreamEstimate } from "./estimator.js";

/** Where progress goes: the protocol's log, and its estimates where it has them (Airbyte; Singer has none). */
export interface ProgressSink {
  log(level: LogLevel, message: string): Promise<void>;
  estimate?(stream: string, rowEstimate: number): Promise<void>;
}

export interface ProgressOptions {
  sink: ProgressSink;
  /** The rate controller's counters: requests sent (retries included) and 429s. */
  requests: () => { dispatched: number; rateLimited: number };
  /** The configured ceiling, requests a second. */
  ceiling: number;
  /** A terminal to draw the live block on; without one, summary lines go to the sink's log. */
  terminal?: LiveTerminal;
  summaryIntervalMs?: number;
  estimateIntervalMs?: number;
  refreshMs?: number;
  /** Default: Date.now. */
  now?: () => number;
}

export const DEFAULT_SUMMARY_INTERVAL_MS = 30_000;
const DEFAULT_ESTIMATE_INTERVAL_MS = 5_000;
const DEFAULT_REFRESH_MS = 250;
/** The span over which the current request rate is measured. */
const RATE_WINDOW_MS = 10_000;

interface Sent {
  rows: number;
  at: number;
}

export class SyncProgress implements ReadObserver {
  private readonly estimator = new RowEstimator();
  private readonly emitted = new Map<string, number>();
  private readonly ended = new Set<string>();
  private readonly sent = new Map<string, Sent>();
  private readonly samples: Array<{ at: number; dispatched: number }> = [];
  private readonly now: () => number;
  private readonly startedAt: number;
  private lastSummaryAt: number;
  private timer: NodeJS.Timeout | undefined;
  /** Lines being written above the live block (it is not redrawn meanwhile). */
  private asides = 0;
  /** Writes in order, one at a time; a failed write (the output closed) ends the chain quietly. */
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.lastSummaryAt = this.now();
  }

  // ---- what the read loop reports -----------------------------------------------------------

  planned(streams: ObservedStream[]): void {
    this.estimator.planned(streams);
  }

  partitionScheduled(stream: string, parent: string | undefined, partition: object, expectedRows?: number): void {
    this.estimator.partitionScheduled(stream, parent, partition, expectedRows);
  }

  pageRead(stream: string, partition: object, kept: number, last: boolean): void {
    this.estimator.pageRead(stream, partition, kept, last);
  }

  /**
   * `emitter`, counting records and noting ended streams. What may be written as a line on the
   * terminal (logs; a Singer tap's statuses are log lines too) goes above the live block, not
   * through it; records and states go to stdout, never the block's terminal.
   */
  wrap(emitter: SyncEmitter): SyncEmitter {
    return {
      record: (stream, data) => {
        this.emitted.set(stream, (this.emitted.get(stream) ?? 0) + 1);
        return emitter.record(stream, data);
      },
      state: (stream, state) => emitter.state(stream, state),
      streamStatus: async (stream, status: StreamStatus) => {
        if (status === "COMPLETE" || status === "INCOMPLETE") this.ended.add(stream);
        if (status === "COMPLETE") await this.settleEstimate(stream);
        await this.aside(() => emitter.streamStatus(stream, status));
      },
      rateLimited: (stream, quotaReset) => this.aside(() => emitter.rateLimited(stream, quotaReset)),
      log: (level, message) => this.aside(() => emitter.log(level, message)),
    };
  }

  // ---- the timer ----------------------------------------------------------------------------

  start(): void {
    this.timer = setInterval(() => this.tick(), this.options.refreshMs ?? DEFAULT_REFRESH_MS);
    this.timer.unref();
  }

  /** Stops the timer, sends what is due, leaves the final block on the terminal, and waits for the writes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.tick();
    this.options.terminal?.done();
    await this.writes;
  }

  /** One round: estimates due, then the live block or (when due) the summary line. */
  tick(): void {
    const now = this.now();
    const view = this.view(now);
    this.sendEstimates(view.estimates, now);
    if (this.options.terminal) {
      if (this.asides === 0) this.options.terminal.render(liveText(view));
    } else if (now - this.lastSummaryAt >= (this.options.summaryIntervalMs ?? DEFAULT_SUMMARY_INTERVAL_MS)) {
      this.lastSummaryAt = now;
      const line = summaryLine(view);
      this.write(() => this.options.sink.log("INFO", line));
    }
  }

  // ---- estimates ----------------------------------------------------------------------------

  /** Rows the stream will have emitted by the end: those emitted, plus the new records still to read. */
  private rowEstimate(stream: string, estimate: StreamEstimate): number {
    const emitted = this.emitted.get(stream) ?? 0;
    return Math.round(emitted + Math.max(0, estimate.rows - this.estimator.kept(stream)));
  }

  private sendEstimates(estimates: Map<string, StreamEstimate | undefined>, now: number): void {
    const sink = this.options.sink;
    if (!sink.estimate) return;
    const interval = this.options.estimateIntervalMs ?? DEFAULT_ESTIMATE_INTERVAL_MS;
    for (const stream of this.estimator.streams()) {
      const estimate = estimates.get(stream.name);
      if (!stream.selected || !estimate || this.ended.has(stream.name)) continue;
      const rows = this.rowEstimate(stream.name, estimate);
      const last = this.sent.get(stream.name);
      const moved = last !== undefined && Math.abs(rows - last.rows) >= Math.max(1, last.rows * 0.01);
      const due = last === undefined || (moved && (estimate.complete || now - last.at >= interval));
      if (!due) continue;
      this.sent.set(stream.name, { rows, at: now });
      // Checked again when it is written: the stream may have ended while earlier writes waited.
      this.write(async () => {
        if (!this.ended.has(stream.name)) await sink.estimate!(stream.name, rows);
      });
    }
  }

  /** A complete stream whose last estimate was off gets its count as the last one, before its COMPLETE status. */
  private async settleEstimate(stream: string): Promise<void> {
    const last = this.sent.get(stream);
    const rows = this.emitted.get(stream) ?? 0;
    if (!this.options.sink.estimate || last === undefined || last.rows === rows) return;
    this.sent.set(stream, { rows, at: this.now() });
    await this.options.sink.estimate(stream, rows);
  }

  // ---- the view -----------------------------------------------------------------------------

  private view(now: number): ProgressView & { estimates: Map<string, StreamEstimate | undefined> } {
    const estimates = this.estimator.estimates();
    const counters = this.options.requests();
    const rate = this.rate(now, counters.dispatched);
    let pagesLeft: number | undefined = 0;
    const streams = this.estimator.streams().map((s) => {
      const estimate = estimates.get(s.name);
      const pages = this.estimator.pages(s.name);
      const complete = this.ended.has(s.name) || (estimate?.complete ?? false);
      if (!complete) pagesLeft = estimate && pagesLeft !== undefined ? pagesLeft + Math.max(0, estimate.pages - pages) : undefined;
      return {
        name: s.name,
        selected: s.selected,
        records: this.emitted.get(s.name) ?? 0,
        estimate: estimate ? this.rowEstimate(s.name, estimate) : undefined,
        pages,
        complete,
      };
    });
    const pace = rate > 0 ? rate : this.options.ceiling;
    return {
      streams,
      estimates,
      requests: counters.dispatched,
      rateLimited: counters.rateLimited,
      rate,
      ceiling: this.options.ceiling,
      secondsLeft: pagesLeft === undefined ? undefined : pagesLeft / pace,
      elapsedSeconds: (now - this.startedAt) / 1000,
    };
  }

  /** Requests a second over the last RATE_WINDOW_MS (0 until a second has passed). */
  private rate(now: number, dispatched: number): number {
    this.samples.push({ at: now, dispatched });
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const span = now - first.at;
    return span >= 1000 ? ((dispatched - first.dispatched) * 1000) / span : 0;
  }

  // ---- output -------------------------------------------------------------------------------

  private write(send: () => Promise<void>): void {
    this.writes = this.writes.then(send).catch(() => undefined);
  }

  /** A log line of the sync: the live block is erased first and redrawn after it. */
  private async aside(send: () => Promise<void>): Promise<void> {
    const terminal = this.options.terminal;
    if (!terminal) return send();
    if (this.asides++ === 0) terminal.clear();
    try {
      await send();
    } finally {
      if (--this.asides === 0) terminal.render(liveText(this.view(this.now())));
    }
  }
}
