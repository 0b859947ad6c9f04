/**
 * Transient faults: every kind the simulator injects (500 HTML, 502, 503 JSON, 504,
 * connection reset mid-body, truncated body, 200 with a non-JSON body, slow responses past the
 * request timeout) is retried with backoff until the page arrives: each stream's records equal the
 * ground truth exactly once, the sync exits 0, and the simulator's counters show that the faults
 * really happened, many times.
 *
 * Each kind alone runs on the small dataset at a 20 % fault rate; all kinds together run on the
 * medium dataset (multi-page partitions, ~5,100 requests) at 2 %. The fault seed is fixed, so the
 * runs are reproducible.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAULT_KINDS, type FaultKind, type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { describeRun, errorsOf, expectGroundTruth, logsOf, sync } from "./support.js";

const FAULT_SEED = 4;

describe("each transient fault kind alone, 20 % of requests (small dataset)", () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 2, size: "small" });
  });

  afterAll(async () => {
    await sim?.close();
  });

  const cases: Array<{ kind: FaultKind; extra?: Record<string, unknown>; slowMs?: number }> = [
    { kind: "500-html" },
    { kind: "502" },
    { kind: "503-json" },
    { kind: "504" },
    { kind: "reset" },
    { kind: "truncated" },
    { kind: "non-json" },
    // A slow answer past the request timeout is a timeout: the request is abandoned and retried.
    { kind: "slow", slowMs: 2000, extra: { request_timeout_seconds: 0.5 } },
  ];

  it("covers every kind the simulator knows", () => {
    expect(cases.map((c) => c.kind).sort()).toEqual([...FAULT_KINDS].sort());
  });

  it.each(cases)("$kind: retried until every record arrives exactly once", async ({ kind, extra, slowMs }) => {
    sim.configure({ faults: { rate: 0.2, kinds: [kind], seed: FAULT_SEED }, slowMs: slowMs ?? 0 });
    sim.resetStats();
    const result = await sync(sim.baseUrl, sim.token, { num_workers: 8, ...extra });
    const stats = sim.stats();
    expect(result.code, describeRun(result)).toBe(0);
    expect(errorsOf(result)).toEqual([]);
    expectGroundTruth(result, sim);
    // The faults happened, many times; each one cost exactly one extra request.
    const injected = stats.faults[kind] ?? 0;
    expect(injected).toBeGreaterThanOrEqual(20);
    // (A timed-out request may rarely be a normal one on a loaded machine: at least one extra each.)
    if (kind === "slow") expect(stats.total).toBeGreaterThanOrEqual(sim.dataset.minimalRequests().total + injected);
    else expect(stats.total).toBe(sim.dataset.minimalRequests().total + injected);
    expect(logsOf(result, "ERROR")).toEqual([]);
  });
});

describe("every fault kind together, 2 % of requests (medium dataset)", () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 1,
      size: "medium",
      faults: { rate: 0.02, kinds: [...FAULT_KINDS], seed: FAULT_SEED },
      slowMs: 2500,
    });
  });

  afterAll(async () => {
    await sim?.close();
  });

  it("delivers every stream exactly as the ground truth", async () => {
    const result = await sync(sim.baseUrl, sim.token, { num_workers: 16, request_timeout_seconds: 1 }, undefined, 120_000);
    const stats = sim.stats();
    expect(result.code, describeRun(result)).toBe(0);
    expect(errorsOf(result)).toEqual([]);
    expectGroundTruth(result, sim);
    for (const kind of FAULT_KINDS) expect(stats.faults[kind] ?? 0, `${kind} faults injected`).toBeGreaterThan(0);
    const injected = Object.values(stats.faults).reduce((a, b) => a + b, 0);
    expect(injected).toBeGreaterThanOrEqual(50);
    expect(stats.total).toBeGreaterThanOrEqual(sim.dataset.minimalRequests().total + injected);
  }, 150_000);
});
