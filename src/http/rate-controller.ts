/**
 * AIMD rate controller: paces request dispatch for one token.
 *
 * - Dispatches at `rate` requests/s (a token bucket of depth one), with at most `maxConcurrency`
 *   requests in flight.
 * - Slow start until the first 429: each success adds `slowStartGain` to the rate, so the rate
 *   grows by that fraction of itself every second (exponential ramp).
 * - Congestion avoidance after a 429: each success adds `additiveIncrease / rate`, so the rate
 *   grows by `additiveIncrease` requests/s every second.
 * - A 429 multiplies the rate by `decreaseFactor` (once per burst of 429s) and pauses every
 *   request until its Retry-After has passed.
 * - The rate stays within [minRate, maxRate].
 */
export interface RateControllerOptions {
  initialRate: number;
  maxRate: number;
  maxConcurrency: number;
  minRate?: number;
  slowStartGain?: number;
  additiveIncrease?: number;
  decreaseFactor?: number;
}

export interface RateSample {
  /** ms since the controller started */
  t: number;
  rate: number;
}

export interface RateStats {
  rate: number;
  dispatched: number;
  rateLimited: number;
  peakInFlight: number;
  history: RateSample[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RateController {
  private rate: number;
  private readonly maxRate: number;
  private readonly minRate: number;
  private readonly maxConcurrency: number;
  private readonly slowStartGain: number;
  private readonly additiveIncrease: number;
  private readonly decreaseFactor: number;
  private slowStart = true;
  private nextSlotAt = 0;
  private pausedUntil = 0;
  private lastDecreaseAt = -Infinity;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly started = Date.now();
  private readonly stats: RateStats;

  constructor(options: RateControllerOptions) {
    this.rate = options.initialRate;
    this.maxRate = options.maxRate;
    this.minRate = options.minRate ?? Math.min(0.1, options.initialRate);
    this.maxConcurrency = Math.max(1, Math.floor(options.maxConcurrency));
    this.slowStartGain = options.slowStartGain ?? 0.2;
    this.additiveIncrease = options.additiveIncrease ?? 1;
    this.decreaseFactor = options.decreaseFactor ?? 0.5;
    this.stats = { rate: this.rate, dispatched: 0, rateLimited: 0, peakInFlight: 0, history: [{ t: 0, rate: this.rate }] };
  }

  /** Waits for a concurrency slot and the next dispatch time; returns the slot's release. */
  async acquire(): Promise<() => void> {
    if (this.inFlight >= this.maxConcurrency) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.inFlight++;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.inFlight);
    for (;;) {
      const now = Date.now();
      const slot = Math.max(now, this.nextSlotAt, this.pausedUntil);
      if (slot <= now) break;
      await sleep(slot - now);
      if (Date.now() >= this.pausedUntil && Date.now() >= this.nextSlotAt) break;
    }
    this.nextSlotAt = Math.max(Date.now(), this.nextSlotAt) + 1000 / this.rate;
    this.stats.dispatched++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.waiters.shift()?.();
    };
  }

  onSuccess(): void {
    const gain = this.slowStart ? this.slowStartGain : this.additiveIncrease / this.rate;
    this.setRate(this.rate + gain);
  }

  /** A 429: cut the rate (once per burst) and pause everyone for `retryAfterSeconds`. */
  onRateLimited(retryAfterSeconds: number | undefined): void {
    this.stats.rateLimited++;
    const now = Date.now();
    const wait = Math.max(0, (retryAfterSeconds ?? 1) * 1000);
    this.pausedUntil = Math.max(this.pausedUntil, now + wait);
    // Every request already in flight when the limit was hit may come back 429 too: one cut only.
    if (now - this.lastDecreaseAt > Math.max(1000, wait)) {
      this.lastDecreaseAt = now;
      this.slowStart = false;
      this.setRate(this.rate * this.decreaseFactor);
    }
    this.nextSlotAt = this.pausedUntil;
  }

  /** Time until requests may be sent again (ms), 0 if not paused. */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - Date.now());
  }

  snapshot(): RateStats {
    return { ...this.stats, rate: this.rate, history: [...this.stats.history] };
  }

  private setRate(rate: number): void {
    this.rate = Math.min(this.maxRate, Math.max(this.minRate, rate));
    const history = this.stats.history;
    const t = Date.now() - this.started;
    const last = history[history.length - 1]!;
    // Keep the history small: one sample per 250 ms at most.
    if (t - last.t >= 250) history.push({ t, rate: this.rate });
    else last.rate = this.rate;
  }
}
