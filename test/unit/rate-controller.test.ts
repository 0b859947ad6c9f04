import { describe, expect, it } from "vitest";
import { RateController } from "../../src/http/rate-controller.js";

describe("RateController (AIMD)", () => {
  it("grows exponentially in slow start, then additively after a 429", () => {
    const rc = new RateController({ initialRate: 1.25, maxRate: 25, maxConcurrency: 10 });
    // Slow start: each success adds 2 requests/s (the rate grows by twice itself every second).
    for (let i = 0; i < 5; i++) rc.onSuccess();
    expect(rc.snapshot().rate).toBeCloseTo(1.25 + 5 * 2, 5);
    rc.onRateLimited(0);
    const afterCut = rc.snapshot().rate;
    expect(afterCut).toBeCloseTo((1.25 + 10) / 2, 5);
    // Congestion avoidance: +1 request/s per `rate` successes.
    const n = Math.round(afterCut);
    for (let i = 0; i < n; i++) rc.onSuccess();
    expect(rc.snapshot().rate).toBeGreaterThan(afterCut + 0.8);
    expect(rc.snapshot().rate).toBeLessThan(afterCut + 1.2);
  });

  it("cuts the rate once per burst of 429s and pauses for Retry-After", () => {
    const rc = new RateController({ initialRate: 16, maxRate: 25, maxConcurrency: 10 });
    rc.onRateLimited(2);
    rc.onRateLimited(2);
    rc.onRateLimited(2);
    expect(rc.snapshot().rate).toBe(8);
    expect(rc.snapshot().rateLimited).toBe(3);
    expect(rc.pausedFor()).toBeGreaterThan(1500);
    expect(rc.pausedFor()).toBeLessThanOrEqual(2000);
  });

  it("stays within its floor and ceiling", () => {
    const rc = new RateController({ initialRate: 24, maxRate: 25, maxConcurrency: 1 });
    for (let i = 0; i < 100; i++) rc.onSuccess();
    expect(rc.snapshot().rate).toBe(25);
    const low = new RateController({ initialRate: 1, maxRate: 25, maxConcurrency: 1, minRate: 0.5 });
    for (let i = 0; i < 5; i++) {
      low.onRateLimited(0);
      // let the one-cut-per-burst window pass
      (low as unknown as { lastDecreaseAt: number }).lastDecreaseAt = -Infinity;
    }
    expect(low.snapshot().rate).toBe(0.5);
  });

  it("caps requests in flight", async () => {
    const rc = new RateController({ initialRate: 1000, maxRate: 1000, maxConcurrency: 2 });
    const a = await rc.acquire();
    const b = await rc.acquire();
    let third = false;
    const pending = rc.acquire().then((release) => {
      third = true;
      return release;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    a();
    (await pending)();
    b();
    expect(third).toBe(true);
    expect(rc.snapshot().peakInFlight).toBe(2);
  });
});

describe("RateController concurrency cap", () => {
  it("hands a released slot to the waiter, so a newcomer cannot push requests in flight over the cap", async () => {
    const rc = new RateController({ initialRate: 1e6, maxRate: 1e6, maxConcurrency: 2, ceilingHeadroom: 0 });
    const a = await rc.acquire();
    const b = await rc.acquire();
    const waiting = rc.acquire();
    a();
    const newcomer = rc.acquire();
    const c = await waiting;
    // The newcomer waits for a slot: B and C hold both.
    const state = await Promise.race([newcomer.then(() => "acquired"), new Promise((r) => setTimeout(() => r("waiting"), 20))]);
    expect(state).toBe("waiting");
    expect(rc.snapshot().peakInFlight).toBe(2);
    b();
    const d = await newcomer;
    c();
    d();
    expect(rc.snapshot().peakInFlight).toBe(2);
  });
});
