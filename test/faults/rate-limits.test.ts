/**
 * 429s: budget and concurrency limits answer 429 with Retry-After; the connector waits,
 * cuts its rate, retries, reports STREAM_STATUS RUNNING with reason RATE_LIMITED, and still
 * delivers every record exactly once. A 429's Retry-After pauses every request of the token, not
 * only the one that got it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { describeRun, errorsOf, expectGroundTruth, rateLimitedStatuses, startFaultProxy, sync } from "./support.js";

describe("rate limits (small dataset)", () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 2, size: "small" });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it("a per-token budget: 429s, RATE_LIMITED statuses, and records still exact", async () => {
    // 30 requests per 1 s window; the connector starts at 80 req/s.
    sim.configure({ budget: { perMinute: 30, windowMs: 1000 } });
    try {
      sim.resetStats();
      const result = await sync(sim.baseUrl, sim.token, { requests_per_second: 80, max_requests_per_second: 100 }, undefined, 60_000);
      const stats = sim.stats();
      expect(result.code, describeRun(result)).toBe(0);
      expect(errorsOf(result)).toEqual([]);
      expectGroundTruth(result, sim);
      expect(stats.rateLimited).toBeGreaterThan(0);
      const limited = rateLimitedStatuses(result);
      // One RATE_LIMITED status per 429, on the stream whose request got it, with the quota reset time.
      expect(limited).toHaveLength(stats.rateLimited);
      for (const m of limited) {
        const reason = (m.trace!.stream_status!.reasons as Array<{ type: string; rate_limited?: { quota_reset?: number } }>)[0]!;
        expect(reason.type).toBe("RATE_LIMITED");
        expect(reason.rate_limited!.quota_reset).toBeGreaterThanOrEqual((m.trace as unknown as { emitted_at: number }).emitted_at);
      }
      // Every 429 cost one retry, nothing more.
      expect(stats.total).toBe(sim.dataset.minimalRequests().total + stats.rateLimited);
    } finally {
      sim.configure({ budget: null });
    }
  }, 60_000);

  it("the concurrent-GET limit: 429s, retried, records exact", async () => {
    sim.configure({ maxConcurrentGets: 2, latencyMs: 20 });
    try {
      sim.resetStats();
      const result = await sync(sim.baseUrl, sim.token, { num_workers: 8 }, undefined, 60_000);
      const stats = sim.stats();
      expect(result.code, describeRun(result)).toBe(0);
      expectGroundTruth(result, sim);
      expect(stats.rateLimited).toBeGreaterThan(0);
      expect(rateLimitedStatuses(result)).toHaveLength(stats.rateLimited);
      expect(stats.total).toBe(sim.dataset.minimalRequests().total + stats.rateLimited);
    } finally {
      sim.configure({ maxConcurrentGets: 50, latencyMs: 0 });
    }
  }, 60_000);

  it("a Retry-After pauses every request of the token, then the sync resumes", async () => {
    const arrivals: Array<{ at: number; url: string }> = [];
    let limitedAt: number | undefined;
    // The first stories request gets 429 with Retry-After: 2 while other workers are busy.
    const proxy = await startFaultProxy(sim.origin, (url) => {
      const at = Date.now();
      arrivals.push({ at, url });
      if (limitedAt === undefined && url.includes("/stories")) {
        limitedAt = at;
        return {
          status: 429,
          headers: { "Retry-After": "2" },
          body: { errors: [{ message: "You've made too many requests and hit a rate limit. Please retry after the given amount of time." }] },
        };
      }
      return undefined;
    });
    try {
      const result = await sync(proxy.baseUrl, sim.token, { num_workers: 8, requests_per_second: 200 }, undefined, 60_000);
      expect(result.code, describeRun(result)).toBe(0);
      expectGroundTruth(result, sim);
      expect(limitedAt).toBeDefined();
      // Requests already on their way may still arrive for a moment; then nothing for ~2 s.
      const during = arrivals.filter((a) => a.at > limitedAt! + 400 && a.at < limitedAt! + 1950);
      expect(during, "requests sent while paused").toEqual([]);
      const after = arrivals.filter((a) => a.at >= limitedAt! + 1950);
      expect(after.length).toBeGreaterThan(10);
      expect(rateLimitedStatuses(result)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
