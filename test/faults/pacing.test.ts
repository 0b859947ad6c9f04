/**
 * The rate controller's pacing, on a virtual clock (test/helpers/virtual-clock.ts): never faster
 * than the ceiling less its headroom, even when timers fire late; a raised rate takes effect at
 * once; a 429's Retry-After holds every dispatch. Virtual time is what the controller itself
 * measures, so a loaded machine cannot make these checks pass or fail.
 */
import { describe, expect, it } from "vitest";
import { RateController } from "../../src/http/rate-controller.js";
import { VirtualClock } from "../helpers/virtual-clock.js";

async function dispatch(rc: RateController, clock: VirtualClock, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const release = await rc.acquire();
    times.push(clock.now());
    release();
  }
  return times;
}

describe("RateController pacing", () => {
  it("paces at the ceiling less 2 % headroom, never faster, and late timers do not slow it down", async () => {
    // Every third timer fires 1 ms late (a busy event loop): less than a quarter interval.
    const clock = new VirtualClock((n) => (n % 3 === 0 ? 1 : 0));
    const rc = new RateController({ initialRate: 200, maxRate: 200, maxConcurrency: 4, clock });
    const times = await dispatch(rc, clock, 101);
    const interval = 1000 / (200 * 0.98);
    // Any two dispatches k apart are at least k intervals apart, less the lateness a dispatch
    // may make up (a quarter interval).
    for (const k of [1, 10, 100]) {
      for (let i = 0; i + k < times.length; i += k) expect(times[i + k]! - times[i]!).toBeGreaterThanOrEqual(k * interval - interval / 4);
    }
    // A late dispatch keeps its nominal slot: the pace stays the rate, not the rate less lateness.
    expect(times[100]! - times[0]!).toBeLessThan(100 * interval + 2);
  });

  it("timers 20 ms late on every wait (a loaded machine) do not slow the pace below the rate", async () => {
    // 24.5 req/s at a 25 req/s ceiling: 40.8 ms apart. Keeping only a quarter interval of
    // lateness (10 ms) made every dispatch lose its 20 ms: 61 ms apart, 16 req/s.
    const clock = new VirtualClock(() => 20);
    const rc = new RateController({ initialRate: 25, maxRate: 25, maxConcurrency: 10, clock });
    const times = await dispatch(rc, clock, 246);
    const interval = 1000 / 24.5;
    // 245 intervals, plus the last wait's lateness at most.
    expect(times[245]! - times[0]!).toBeLessThanOrEqual(245 * interval + 20);
    // Never faster than the rate over any window longer than the catch-up (100 ms).
    for (const k of [5, 50, 200]) {
      for (let i = 0; i + k < times.length; i++) expect(times[i + k]! - times[i]!).toBeGreaterThanOrEqual(k * interval - 100);
    }
  });

  it("after an idle spell the schedule restarts from now: no burst of saved-up slots", async () => {
    const clock = new VirtualClock();
    const rc = new RateController({ initialRate: 25, maxRate: 25, maxConcurrency: 10, clock });
    await dispatch(rc, clock, 2);
    await clock.sleep(1_000);
    const times = await dispatch(rc, clock, 3);
    expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(2 * (1000 / 24.5) - 0.001);
  });

  it("a rate raised while a dispatch waits shortens the wait", async () => {
    const clock = new VirtualClock();
    const rc = new RateController({ initialRate: 1, maxRate: 100, maxConcurrency: 4, clock });
    await dispatch(rc, clock, 1);
    const started = clock.now();
    const second = dispatch(rc, clock, 1);
    // Slow start: each success adds 2 requests/s; 50 successes take the rate to 100 req/s.
    for (let i = 0; i < 50; i++) rc.onSuccess();
    const [at] = await second;
    // At 1 req/s it would wait 1,000 ms; at 100 req/s the next slot is 10 ms after the first
    // (the waiter re-checks at least every 50 ms).
    expect(at! - started).toBeLessThanOrEqual(50);
    expect(rc.snapshot().rate).toBe(100);
  });

  it("a 429's Retry-After holds every dispatch, then pacing resumes at the cut rate", async () => {
    const clock = new VirtualClock();
    const rc = new RateController({ initialRate: 100, maxRate: 100, maxConcurrency: 4, clock });
    await dispatch(rc, clock, 1);
    rc.onRateLimited(0.3);
    expect(rc.snapshot().rate).toBe(50);
    const started = clock.now();
    const times = await Promise.all([dispatch(rc, clock, 2), dispatch(rc, clock, 2)]);
    const all = times.flat().sort((a, b) => a - b);
    expect(all[0]! - started).toBeGreaterThanOrEqual(300);
    // Four dispatches at 50 req/s after the pause: at least three 20 ms intervals, less a quarter.
    expect(all[3]! - all[0]!).toBeGreaterThanOrEqual(3 * 20 - 5);
  });

  it("the first 429 ends slow start: growth becomes additive", () => {
    const rc = new RateController({ initialRate: 10, maxRate: 1000, maxConcurrency: 4 });
    for (let i = 0; i < 5; i++) rc.onSuccess();
    expect(rc.snapshot().rate).toBe(20);
    rc.onRateLimited(0);
    expect(rc.snapshot().rate).toBe(10);
    // 10 successes at ~10 req/s (one second's worth): about +1 request/s.
    for (let i = 0; i < 10; i++) rc.onSuccess();
    expect(rc.snapshot().rate).toBeGreaterThan(10.9);
    expect(rc.snapshot().rate).toBeLessThan(11.1);
  });
});
