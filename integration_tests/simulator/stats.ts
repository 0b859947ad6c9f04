/**
 * Request accounting: totals per route pattern and status, peak in-flight requests, 429s, a
 * per-second histogram of served requests, injected faults and OAuth token-endpoint calls.
 */

export interface RequestStats {
  /** API requests (under /api/1.0, plus unknown paths), whatever their outcome. */
  total: number;
  /** Key like "GET /tasks/{gid}/stories". */
  byRoute: Record<string, number>;
  /** By the status line sent (a `reset`/`truncated` fault counts as the 200 it started). */
  byStatus: Record<string, number>;
  peakConcurrency: number;
  /** Responses with status 429 (budget or concurrency limit). */
  rateLimited: number;
  /**
   * Requests served with a status other than 429, per second since the last reset (index 0 = the
   * first second), up to the last second that served one.
   */
  perSecond: number[];
  /** Injected faults by kind (see faults.ts). */
  faults: Record<string, number>;
  /** Calls of POST /-/oauth_token (not part of `total`). */
  tokenRequests: number;
}

export class StatsRecorder {
  private total = 0;
  private byRoute: Record<string, number> = {};
  private byStatus: Record<string, number> = {};
  private inFlight = 0;
  private peak = 0;
  private rateLimited = 0;
  private perSecond: number[] = [];
  private faults: Record<string, number> = {};
  private tokenRequests = 0;
  private since = performance.now();

  /** A request arrived; call the returned function once when its response is finished. */
  begin(): () => void {
    this.inFlight++;
    if (this.inFlight > this.peak) this.peak = this.inFlight;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
    };
  }

  record(route: string, status: number): void {
    this.total++;
    this.byRoute[route] = (this.byRoute[route] ?? 0) + 1;
    const key = String(status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
    if (status === 429) this.rateLimited++;
    else {
      const second = this.currentSecond();
      while (this.perSecond.length <= second) this.perSecond.push(0);
      this.perSecond[second]!++;
    }
  }

  fault(kind: string): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
  }

  tokenRequest(): void {
    this.tokenRequests++;
  }

  private currentSecond(): number {
    return Math.max(0, Math.floor((performance.now() - this.since) / 1000));
  }

  snapshot(): RequestStats {
    return {
      total: this.total,
      byRoute: { ...this.byRoute },
      byStatus: { ...this.byStatus },
      peakConcurrency: this.peak,
      rateLimited: this.rateLimited,
      perSecond: [...this.perSecond],
      faults: { ...this.faults },
      tokenRequests: this.tokenRequests,
    };
  }

  /** Clears the counters; requests still in flight keep counting towards the new peak. */
  reset(): void {
    this.total = 0;
    this.byRoute = {};
    this.byStatus = {};
    this.peak = this.inFlight;
    this.rateLimited = 0;
    this.perSecond = [];
    this.faults = {};
    this.tokenRequests = 0;
    this.since = performance.now();
  }
}
