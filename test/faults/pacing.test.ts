/**
 * The rate controller's pacing in real time: never faster than the ceiling less its
 * headroom, a raised rate takes effect at once, and a 429's Retry-After holds every dispatch.
 * Bounds are one-sided where a loaded machine can only make things slower.
 */
import { describe, expect, it } from "vitest";
import { RateController } from "../../src/http/rate-controller.js";

async function dispatch(rc: RateController, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const release = await rc.acquire();
    times.push(performance.now());
    release();
  }
  return times;
}

describe("RateController pacing", () => {
  it("paces at the ceiling less 2 % headroom, never faster", async () => {
    const rc = new RateController({ initialRate: 200, maxRate: 200, maxConcurrency: 4 });
    const times = await dispatch(rc, 101);
    const interval = 1000 / (200 * 0.98);
    // Any two dispatches k apart are at least k intervals apart, less a little timer slack.
    for (const k of [1, 10, 100]) {
      for (let i = 0; i + k < times.length; i += k) expect(times[i + k]! - times[i]!).toBeGreaterThanOrEqual(k * interval - interval / 4 - 1);
    }
    // And timer lateness does not slow the pace down much (generous bound for loaded machines).
    expect(times[100]! - times[0]!).toBeLessThan(100 * interval * 1.5);
  });

  it("a rate raised while a dispatch waits shortens the wait", async () => {
    const rc = new RateController({ initialRate: 1, maxRate: 100, maxConcurrency: 4 });
    await dispatch(rc, 1);
    const started = performance.now();
    const second = dispatch(rc, 1);
    // Slow start: each success adds 1 request/s; 99 successes take the rate to 100 req/s.
    for (let i = 0; i < 99; i++) rc.onSuccess();
    await second;
    expect(performance.now() - started).toBeLessThan(300);
    expect(rc.snapshot().rate).toBe(100);
  });

  it("a 429's Retry-After holds every dispatch, then pacing resumes at the cut rate", async () => {
    const rc = new RateController({ initialRate: 100, maxRate: 100, maxConcurrency: 4 });
    await dispatch(rc, 1);
    rc.onRateLimited(0.3);
    expect(rc.snapshot().rate).toBe(50);
    const started = performance.now();
    const times = await Promise.all([dispatch(rc, 2), dispatch(rc, 2)]);
    const all = times.flat().sort((a, b) => a - b);
    expect(all[0]! - started).toBeGreaterThanOrEqual(290);
    // Four dispatches at 50 req/s after the pause: at least three 20 ms intervals.
    expect(all[3]! - all[0]!).toBeGreaterThanOrEqual(3 * 20 - 5 - 1);
  });

  it("the first 429 ends slow start: growth becomes additive", () => {
    const rc = new RateController({ initialRate: 10, maxRate: 1000, maxConcurrency: 4 });
    for (let i = 0; i < 10; i++) rc.onSuccess();
    expect(rc.snapshot().rate).toBe(20);
    rc.onRateLimited(0);
    expect(rc.snapshot().rate).toBe(10);
    // 10 successes at ~10 req/s (one second's worth): about +1 request/s.
    for (let i = 0; i < 10; i++) rc.onSuccess();
    expect(rc.snapshot().rate).toBeGreaterThan(10.9);
    expect(rc.snapshot().rate).toBeLessThan(11.1);
  });
});
