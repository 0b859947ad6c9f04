/**
 * AIMD rate controller: paces request dispatch for one token.
 *
 * - Dispatches at `rate` requests/s, with at most `maxConcurrency` requests in flight. The wait
 *   follows the current rate (a rate raised meanwhile shortens it), and a dispatch made late by a
 *   timer or a busy event loop (up to `CATCH_UP_MS`, or a quarter interval at slow rates) keeps
 *   its nominal slot, so the pace is the rate itself, not the rate minus lateness: the next
 *   dispatches follow at once until the schedule is met again. Later than that is an idle spell
 *   (nothing to send), after which the schedule restarts from now: no burst of saved-up slots.
 *   Catching up never sends more than the rate over any window longer than `CATCH_UP_MS`: a
 *   budget's minute holds at most 0.1 s of requests more than the rate, far inside the headroom.
 * - Never faster than `maxRate` less `ceilingHeadroom` (2 %): a ceiling equal to the budget
 *   (25 req/s for 1,500 a minute) would otherwise fill the sliding minute exactly, and any
 *   jitter would cost a 429.
 * - Slow start until the first 429: each success adds `slowStartGain` (default 2) to the rate, so
 *   the rate grows by that multiple of itself every second: from 1.25 to 22.5 req/s (90 % of a
 *   paid budget) in ln(18) / 2 ≈ 1.4 s (plus the answers' latency, which delays the successes).
 * - Congestion avoidance after a 429: each success adds `additiveIncrease / rate`, so the rate
 *   grows by `additiveIncrease` requests/s every second.
 * - A 429 multiplies the rate by `decreaseFactor` (once per burst of 429s) and pauses every
 *   request until its Retry-After has passed.
 * - The rate stays within [minRate, maxRate].
 *
 * The constants are measured with `npm run bench:throttle` (bench/README.md).
 */
import { type Clock, monotonicClock } from "./clock.js";

/**
 * How late (ms) a dispatch may be and still keep its nominal slot. A loaded machine fires timers
 * tens of milliseconds late; with a quarter interval only (10 ms at 24.5 req/s), each such delay
 * was lost for good and the pace fell to 21-23 req/s.
 */
const CATCH_UP_MS = 100;

export interface RateControllerOptions {
  initialRate: number;
  maxRate: number;
  maxConcurrency: number;
  minRate?: number;
  slowStartGain?: number;
  additiveIncrease?: number;
  decreaseFactor?: number;
  /**
   * Share of `maxRate` kept free when pacing at the ceiling (default 0.02): at 25 req/s the
   * connector sends 24.5 a second, so timer jitter, a `check` or another client of the same token
   * does not push a minute over a budget of exactly 25 a second.
   */
  ceilingHeadroom?: number;
  /** The longest Retry-After (s) the requests it paces wait for (the sender fails a longer one). */
  maxPauseSeconds?: number;
  /** Default: performance.now() and real timers. */
  clock?: Clock;
}

export interface RateStats {
  rate: number;
  dispatched: number;
  rateLimited: number;
  peakInFlight: number;
}

export class RateController {
  private rate: number;
  private readonly maxRate: number;
  private readonly minRate: number;
  private readonly maxConcurrency: number;
  private readonly slowStartGain: number;
  private readonly additiveIncrease: number;
  private readonly decreaseFactor: number;
  private readonly pacingCeiling: number;
  private readonly clock: Clock;
  readonly maxPauseSeconds: number | undefined;
  private slowStart = true;
  // Times are the clock's milliseconds (monotonic by default).
  /** Nominal time of the last dispatch. */
  private lastSlot = -Infinity;
  private pausedUntil = 0;
  private lastDecreaseAt = -Infinity;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly stats: RateStats;

  constructor(options: RateControllerOptions) {
    this.rate = options.initialRate;
    this.maxRate = options.maxRate;
    this.minRate = options.minRate ?? Math.min(0.1, options.initialRate);
    this.maxConcurrency = Math.max(1, Math.floor(options.maxConcurrency));
    this.slowStartGain = options.slowStartGain ?? 2;
    this.additiveIncrease = options.additiveIncrease ?? 1;
    this.decreaseFactor = options.decreaseFactor ?? 0.5;
    this.pacingCeiling = this.maxRate * (1 - (options.ceilingHeadroom ?? 0.02));
    this.clock = options.clock ?? monotonicClock;
    this.maxPauseSeconds = options.maxPauseSeconds;
    this.stats = { rate: this.rate, dispatched: 0, rateLimited: 0, peakInFlight: 0 };
  }

  /** Waits for a concurrency slot and the next dispatch time; returns the slot's release. */
  async acquire(): Promise<() => void> {
    if (this.inFlight >= this.maxConcurrency) {
      // A releasing request hands its slot straight to the first waiter (inFlight stays counted),
      // so a caller arriving meanwhile cannot take it too.
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    } else {
      this.inFlight++;
    }
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.inFlight);
    for (;;) {
      const now = this.clock.now();
      const interval = this.interval();
      const due = Math.max(this.lastSlot + interval, this.pausedUntil);
      if (due <= now) {
        // A late dispatch keeps its nominal slot, so lateness does not slow the pace; after an
        // idle spell the schedule restarts from now (no burst of saved-up slots).
        this.lastSlot = now - due <= Math.max(CATCH_UP_MS, interval / 4) ? due : now;
        break;
      }
      // Wake up at least every 50 ms while pacing (not while paused by a 429): a rate raised
      // meanwhile then shortens the wait.
      await this.clock.sleep(due === this.pausedUntil ? due - now : Math.min(due - now, 50));
    }
    this.stats.dispatched++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.inFlight--;
    };
  }

  onSuccess(): void {
    const gain = this.slowStart ? this.slowStartGain : this.additiveIncrease / this.rate;
    this.setRate(this.rate + gain);
  }

  /** A 429: cut the rate (once per burst) and pause everyone for `retryAfterSeconds`. */
  onRateLimited(retryAfterSeconds: number | undefined): void {
    this.stats.rateLimited++;
    const now = this.clock.now();
    const wait = Math.max(0, (retryAfterSeconds ?? 1) * 1000);
    this.pausedUntil = Math.max(this.pausedUntil, now + wait);
    // Every request already in flight when the limit was hit may come back 429 too: one cut only.
    if (now - this.lastDecreaseAt > Math.max(1000, wait)) {
      this.lastDecreaseAt = now;
      this.slowStart = false;
      this.setRate(this.rate * this.decreaseFactor);
    }
  }

  /** Milliseconds between dispatches at the current rate (never faster than the pacing ceiling). */
  private interval(): number {
    return 1000 / Math.min(this.rate, this.pacingCeiling);
  }

  /** Time until requests may be sent again (ms), 0 if not paused. */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  snapshot(): RateStats {
    return { ...this.stats, rate: this.rate };
  }

  private setRate(rate: number): void {
    this.rate = Math.min(this.maxRate, Math.max(this.minRate, rate));
  }
}
