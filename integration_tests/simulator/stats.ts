/** Request accounting: totals per route pattern and status, and peak in-flight requests. */

export interface RequestStats {
  total: number;
  /** Key like "GET /tasks/{gid}/stories". */
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
  peakConcurrency: number;
}

export class StatsRecorder {
  private total = 0;
  private byRoute: Record<string, number> = {};
  private byStatus: Record<string, number> = {};
  private inFlight = 0;
  private peak = 0;

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
  }

  snapshot(): RequestStats {
    return { total: this.total, byRoute: { ...this.byRoute }, byStatus: { ...this.byStatus }, peakConcurrency: this.peak };
  }

  /** Clears the counters; requests still in flight keep counting towards the new peak. */
  reset(): void {
    this.total = 0;
    this.byRoute = {};
    this.byStatus = {};
    this.peak = this.inFlight;
  }
}
