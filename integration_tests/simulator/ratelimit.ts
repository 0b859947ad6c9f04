/**
 * Asana's standard and concurrent-request limiters, per token (https://developers.asana.com/docs/rate-limits): a sliding window of
 * requests (429 with `Retry-After: <seconds until a slot frees>`), rejected requests counting
 * against the window unless told otherwise, and a cap on GETs in flight (429 with `Retry-After: 1`).
 * Time is real (monotonic) time, not the simulated clock.
 */
import type { BudgetOptions } from "./options.js";

export const RATE_LIMIT_MESSAGE = "You've made too many requests and hit a rate limit. Please retry after the given amount of time.";

export type Admission = { ok: true; release: () => void } | { ok: false; retryAfterSeconds: number };

export class RateLimiter {
  /** Request times per token, ascending. */
  private readonly windows = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Forgets every window (the concurrency counts stay: those requests are still running). */
  reset(): void {
    this.windows.clear();
  }

  /**
   * Admits one request of `token` or says how long to wait. `release` must be called once the
   * admitted request's response is finished (it frees the concurrency slot of a GET).
   */
  admit(token: string, method: string, budget: Required<BudgetOptions> | null, maxConcurrentGets: number | null): Admission {
    if (budget !== null) {
      const now = this.now();
      const window = this.windows.get(token) ?? [];
      const cutoff = now - budget.windowMs;
      let expired = 0;
      while (expired < window.length && window[expired]! <= cutoff) expired++;
      if (expired > 0) window.splice(0, expired);
      this.windows.set(token, window);
      if (window.length >= budget.perMinute) {
        // This rejected request counts too (by default), so the wait covers it: a slot frees
        // when the oldest (length - perMinute + 1) entries have left the window.
        if (budget.countRejected) window.push(now);
        const freeing = window[window.length - budget.perMinute]!;
        const retryAfterSeconds = Math.max(1, Math.ceil((freeing + budget.windowMs - now) / 1000));
        return { ok: false, retryAfterSeconds };
      }
      window.push(now);
    }
    if (method !== "GET") return { ok: true, release: () => undefined };
    const current = this.inFlight.get(token) ?? 0;
    if (maxConcurrentGets !== null && current >= maxConcurrentGets) return { ok: false, retryAfterSeconds: 1 };
    this.inFlight.set(token, current + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.inFlight.get(token) ?? 1) - 1;
        if (n <= 0) this.inFlight.delete(token);
        else this.inFlight.set(token, n);
      },
    };
  }
}
