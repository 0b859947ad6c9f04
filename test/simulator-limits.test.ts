/**
 * The simulator's rate limits: the per-token sliding-window budget (429 + Retry-After, rejected
 * requests counting against the window), the concurrent-GET limit, the 429 statistics and
 * runtime reconfiguration. Windows are 1-2 s long and every wait is bounded.
 */
import { afterEach, describe, expect, it } from "vitest";
import { OptionsError, RATE_LIMIT_MESSAGE, type Simulator, startSimulator } from "../integration_tests/simulator/index.js";

const HELP = "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors";

interface Reply {
  status: number;
  retryAfter: string | null;
  body: { errors?: { message: string; help?: string }[]; data?: unknown };
}

async function get(sim: Simulator, path: string, token = sim.token): Promise<Reply> {
  const res = await fetch(`${sim.baseUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as Reply["body"] };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe("request budget", () => {
  it("answers 429 with Asana's body and a sensible Retry-After once the window is full, and recovers after waiting", async () => {
    sim = await startSimulator({ seed: 1, size: "small", budget: { perMinute: 20, windowMs: 2000 } });
    for (let i = 0; i < 20; i++) expect((await get(sim, "/workspaces")).status, `request ${i + 1}`).toBe(200);
    const limited = await get(sim, "/workspaces");
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ errors: [{ message: RATE_LIMIT_MESSAGE, help: HELP }] });
    expect(limited.retryAfter).toMatch(/^\d+$/);
    const retryAfter = Number(limited.retryAfter);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    // Honouring Retry-After is enough: after it, a slot is free (the rejected request counted too).
    await sleep(retryAfter * 1000 + 50);
    expect((await get(sim, "/workspaces")).status).toBe(200);
    const stats = sim.stats();
    expect(stats.rateLimited).toBe(1);
    expect(stats.byStatus).toEqual({ "200": 21, "429": 1 });
  });

  it("counts rejected requests against the window unless countRejected is false", async () => {
    for (const countRejected of [true, false]) {
      const s = await startSimulator({ seed: 1, size: "small", budget: { perMinute: 5, windowMs: 1000, countRejected } });
      try {
        const t0 = performance.now();
        for (let i = 0; i < 5; i++) expect((await get(s, "/workspaces")).status).toBe(200);
        await sleep(Math.max(0, t0 + 500 - performance.now()));
        for (let i = 0; i < 5; i++) expect((await get(s, "/workspaces")).status).toBe(429);
        // The first five have left the window; the five rejected ones have not.
        await sleep(Math.max(0, t0 + 1200 - performance.now()));
        const after = await get(s, "/workspaces");
        expect(after.status, `countRejected: ${countRejected}`).toBe(countRejected ? 429 : 200);
        if (countRejected) expect(Number(after.retryAfter)).toBe(1);
      } finally {
        await s.close();
      }
    }
  });

  it("keeps an independent budget per token and does not spend it on 401s", async () => {
    sim = await startSimulator({ seed: 1, size: "small", tokens: ["token-a", "token-b"], budget: { perMinute: 3, windowMs: 5000 } });
    for (let i = 0; i < 5; i++) expect((await get(sim, "/workspaces", "wrong")).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await get(sim, "/workspaces", "token-a")).status).toBe(200);
    expect((await get(sim, "/workspaces", "token-a")).status).toBe(429);
    expect((await get(sim, "/workspaces", "token-b")).status).toBe(200);
  });

  it("can be changed and switched off at runtime", async () => {
    sim = await startSimulator({ seed: 1, size: "small" });
    for (let i = 0; i < 10; i++) expect((await get(sim, "/workspaces")).status).toBe(200);
    sim.configure({ budget: { perMinute: 2, windowMs: 10_000 } });
    expect(sim.config().budget).toEqual({ perMinute: 2, windowMs: 10_000, countRejected: true });
    expect((await get(sim, "/workspaces")).status).toBe(200);
    expect((await get(sim, "/workspaces")).status).toBe(200);
    const limited = await get(sim, "/workspaces");
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThanOrEqual(9);
    sim.resetRateLimits();
    expect((await get(sim, "/workspaces")).status).toBe(200);
    sim.configure({ budget: null });
    for (let i = 0; i < 5; i++) expect((await get(sim, "/workspaces")).status).toBe(200);
    // Also over HTTP, as a CLI-run simulator is configured.
    const res = await fetch(`${sim.origin}/_sim/configure`, { method: "POST", body: JSON.stringify({ budget: { perMinute: 1 } }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { budget: unknown }).budget).toEqual({ perMinute: 1, windowMs: 60_000, countRejected: true });
    expect((await get(sim, "/workspaces")).status).toBe(200);
    expect((await get(sim, "/workspaces")).status).toBe(429);
    const bad = await fetch(`${sim.origin}/_sim/configure`, { method: "POST", body: JSON.stringify({ budjet: 1 }) });
    expect(bad.status).toBe(400);
  });

  it("rejects invalid options", async () => {
    sim = await startSimulator({ seed: 1, size: "small" });
    const s = sim;
    expect(() => s.configure({ budget: { perMinute: 0 } })).toThrow(OptionsError);
    expect(() => s.configure({ faults: { rate: 2, kinds: ["502"] } })).toThrow(OptionsError);
    expect(() => s.configure({ faults: { rate: 0.5, kinds: ["bogus" as never] } })).toThrow(/unknown fault kind/);
    expect(() => s.configure({ maxConcurrentGets: -1 })).toThrow(OptionsError);
    await expect(startSimulator({ partitionFaults: [{ status: 500 as never, gids: ["1"] }] })).rejects.toThrow(OptionsError);
  });
});

describe("concurrent GET limit", () => {
  it("answers 429 with Retry-After: 1 to a GET arriving while maxConcurrentGets are in flight", async () => {
    sim = await startSimulator({ seed: 1, size: "small", latencyMs: 800, maxConcurrentGets: 3 });
    const s = sim;
    const replies = await Promise.all(Array.from({ length: 8 }, () => get(s, "/workspaces")));
    const ok = replies.filter((r) => r.status === 200);
    const limited = replies.filter((r) => r.status === 429);
    expect(ok).toHaveLength(3);
    expect(limited).toHaveLength(5);
    for (const r of limited) {
      expect(r.retryAfter).toBe("1");
      expect(r.body.errors?.[0]?.message).toBe(RATE_LIMIT_MESSAGE);
    }
    // The slots free up when the responses are done.
    const again = await Promise.all(Array.from({ length: 3 }, () => get(s, "/workspaces")));
    for (const r of again) expect(r.status).toBe(200);
    expect(sim.stats().rateLimited).toBe(5);
  });

  it("defaults to 50 and can be lifted", async () => {
    sim = await startSimulator({ seed: 1, size: "small", latencyMs: 800 });
    expect(sim.config().maxConcurrentGets).toBe(50);
    const s = sim;
    const first = await Promise.all(Array.from({ length: 55 }, () => get(s, "/workspaces")));
    expect(first.filter((r) => r.status === 429)).toHaveLength(5);
    sim.configure({ maxConcurrentGets: null });
    const second = await Promise.all(Array.from({ length: 55 }, () => get(s, "/workspaces")));
    expect(second.filter((r) => r.status === 429)).toHaveLength(0);
  });
});

describe("rate statistics", () => {
  it("counts 429s and histograms served requests per second since the last reset", async () => {
    sim = await startSimulator({ seed: 1, size: "small", budget: { perMinute: 4, windowMs: 1000 } });
    await get(sim, "/workspaces");
    sim.resetStats();
    const t0 = performance.now();
    const statuses: number[] = [];
    while (performance.now() - t0 < 1500 && statuses.length < 400) {
      statuses.push((await get(sim, "/workspaces")).status);
      await sleep(20);
    }
    const stats = sim.stats();
    const served = statuses.filter((s) => s !== 429).length;
    expect(stats.rateLimited).toBe(statuses.length - served);
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.perSecond.reduce((a, b) => a + b, 0)).toBe(served);
    expect(stats.perSecond.length).toBeGreaterThanOrEqual(1);
    expect(stats.perSecond.length).toBeLessThanOrEqual(3);
    // The budget holds the achieved rate at about 4 per second (rejected requests counting too).
    for (const n of stats.perSecond) expect(n).toBeLessThanOrEqual(8);
    sim.resetStats();
    expect(sim.stats()).toMatchObject({ total: 0, rateLimited: 0, perSecond: [], faults: {}, tokenRequests: 0 });
  });
});
