/**
 * The simulator's injected failures, observed with raw clients (node:http and fetch): every
 * transient fault kind, the determinism of the fault decision, permanent partition faults
 * (402/403/404), expiring offsets (TTL on the simulated clock, and expire-once) and a list that
 * repeats its offset forever.
 */
import { request } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KIND } from "../integration_tests/simulator/gids.js";
import {
  FAULT_KINDS,
  type FaultKind,
  faultFor,
  OFFSET_EXPIRED_MESSAGE,
  PAYMENT_REQUIRED_MESSAGE,
  type Simulator,
  startSimulator,
} from "../integration_tests/simulator/index.js";

const HELP = "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors";

interface RawReply {
  /** Undefined when the connection failed before a status line arrived. */
  status?: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The whole body (per Content-Length) arrived and the response ended normally. */
  complete: boolean;
  error?: string;
  ms: number;
}

/** One GET over a fresh connection; never rejects (errors are reported), bounded by a 10 s timeout. */
function raw(sim: Simulator, path: string, token = sim.token): Promise<RawReply> {
  const started = performance.now();
  const url = new URL(path.startsWith("http") ? path : `${sim.baseUrl}${path}`);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let reply: RawReply = { headers: {}, body: "", complete: false, ms: 0 };
    let settled = false;
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      reply = { ...reply, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started };
      if (error !== undefined) reply.error = error;
      resolve(reply);
    };
    const req = request(url, { method: "GET", agent: false, headers: { Authorization: `Bearer ${token}` }, timeout: 10_000 }, (res) => {
      reply.status = res.statusCode;
      reply.headers = res.headers;
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        reply.complete = res.complete;
        finish();
      });
      res.on("error", (err) => finish(err.message));
      res.on("close", () => finish(res.complete ? undefined : "closed early"));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => finish(err.message));
    req.end();
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

let sim: Simulator;
let projectGid: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 1, size: "small" });
  projectGid = sim.dataset.sampleGids("project", 1)[0]!;
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  sim.configure({ faults: null, partitionFaults: null, offsetTtlMs: null, expireOffsetsOnce: false, repeatOffsetFor: null, slowMs: null });
});

describe("transient faults", () => {
  const only = (kind: FaultKind): void => sim.configure({ faults: { rate: 1, kinds: [kind] } });

  it("500-html: 500 with an HTML page", async () => {
    only("500-html");
    const r = await raw(sim, "/workspaces");
    expect(r.status).toBe(500);
    expect(r.headers["content-type"]).toMatch(/^text\/html/);
    expect(r.body).toMatch(/<html>/i);
    expect(isJson(r.body)).toBe(false);
  });

  it("502 and 504: those statuses with a short non-JSON page", async () => {
    for (const kind of ["502", "504"] as const) {
      only(kind);
      const r = await raw(sim, "/workspaces");
      expect(r.status).toBe(Number(kind));
      expect(r.complete).toBe(true);
      expect(r.body.length).toBeLessThan(500);
      expect(isJson(r.body)).toBe(false);
    }
  });

  it("503-json: 503 with Asana's envelope and a phrase", async () => {
    only("503-json");
    const r = await raw(sim, "/workspaces");
    expect(r.status).toBe(503);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    const body = JSON.parse(r.body) as { errors: { message: string; help: string; phrase: string }[] };
    expect(body.errors[0]!.message).toBeTruthy();
    expect(body.errors[0]!.help).toBe(HELP);
    expect(body.errors[0]!.phrase).toMatch(/\w+ \w+/);
  });

  it("reset: the status line and part of the body, then the connection is reset", async () => {
    only("reset");
    const r = await raw(sim, "/workspaces?opt_fields=name,is_organization");
    expect(r.complete).toBe(false);
    expect(r.error).toBeDefined();
    if (r.status !== undefined) {
      expect(r.status).toBe(200);
      expect(Number(r.headers["content-length"])).toBeGreaterThan(Buffer.byteLength(r.body));
    }
    // fetch: the request or the body read fails.
    const viaFetch = fetch(`${sim.baseUrl}/workspaces`, { headers: { Authorization: `Bearer ${sim.token}` } }).then((res) => res.text());
    await expect(viaFetch).rejects.toThrow();
  });

  it("truncated: a Content-Length larger than the body, then the connection ends", async () => {
    only("truncated");
    const r = await raw(sim, "/workspaces?opt_fields=name,is_organization");
    expect(r.status).toBe(200);
    expect(r.complete).toBe(false);
    const declared = Number(r.headers["content-length"]);
    expect(declared).toBeGreaterThan(Buffer.byteLength(r.body));
    expect(Buffer.byteLength(r.body)).toBeGreaterThan(0);
    expect(isJson(r.body)).toBe(false);
    const viaFetch = fetch(`${sim.baseUrl}/workspaces`, { headers: { Authorization: `Bearer ${sim.token}` } }).then((res) => res.text());
    await expect(viaFetch).rejects.toThrow();
  });

  it("non-json: 200 with a JSON content type and a body that is not JSON", async () => {
    only("non-json");
    const r = await raw(sim, "/workspaces");
    expect(r.status).toBe(200);
    expect(r.complete).toBe(true);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    expect(isJson(r.body)).toBe(false);
  });

  it("slow: the correct response, slowMs late", async () => {
    const normal = await raw(sim, "/workspaces?opt_fields=name");
    sim.configure({ faults: { rate: 1, kinds: ["slow"] }, slowMs: 400 });
    const slow = await raw(sim, "/workspaces?opt_fields=name");
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(380);
    expect(slow.body).toBe(normal.body);
  });

  it("counts injected faults by kind; the status line sent goes to byStatus", async () => {
    sim.resetStats();
    sim.configure({ faults: { rate: 1, kinds: ["502"] } });
    await raw(sim, "/workspaces");
    await raw(sim, "/users/me");
    sim.configure({ faults: null });
    await raw(sim, "/workspaces");
    const stats = sim.stats();
    expect(stats.faults).toEqual({ "502": 2 });
    expect(stats.byStatus).toEqual({ "200": 1, "502": 2 });
    expect(stats.total).toBe(3);
  });

  it("decides per (seed, URL, attempt), whatever the interleaving, so retries usually succeed", async () => {
    const faults = { rate: 0.3, kinds: ["502", "503-json", "500-html"] as FaultKind[], seed: 7 };
    const expected = (path: string, attempt: number): number => {
      const kind = faultFor(7, `/api/1.0${path}`, attempt, faults.rate, faults.kinds);
      return kind === undefined ? 200 : kind === "500-html" ? 500 : kind === "502" ? 502 : 503;
    };
    const paths = ["/workspaces", "/users/me", "/workspaces?limit=1", "/tags?workspace=" + sim.dataset.listWorkspaces()[0]];
    const ATTEMPTS = 6;
    // Sequential per URL...
    sim.configure({ faults });
    const sequential = new Map<string, number[]>();
    for (const path of paths) {
      const statuses: number[] = [];
      for (let k = 0; k < ATTEMPTS; k++) statuses.push((await raw(sim, path)).status!);
      sequential.set(path, statuses);
    }
    // ...and round-robin after a reset of the attempt counts: the same sequences.
    sim.configure({ faults });
    const interleaved = new Map<string, number[]>(paths.map((p) => [p, []]));
    for (let k = 0; k < ATTEMPTS; k++) for (const path of [...paths].reverse()) interleaved.get(path)!.push((await raw(sim, path)).status!);
    expect(interleaved).toEqual(sequential);
    for (const path of paths) expect(sequential.get(path)).toEqual(Array.from({ length: ATTEMPTS }, (_, k) => expected(path, k)));
    expect([...sequential.values()].flat().some((s) => s !== 200)).toBe(true);
    expect([...sequential.values()].flat().some((s) => s === 200)).toBe(true);

    // At 2%, a failed first attempt is almost never followed by a failed second one.
    let failedFirst = 0;
    let failedTwice = 0;
    for (let i = 0; i < 5000; i++) {
      const url = `/api/1.0/tasks/${i}/stories`;
      if (faultFor(1, url, 0, 0.02, FAULT_KINDS) === undefined) continue;
      failedFirst++;
      if (faultFor(1, url, 1, 0.02, FAULT_KINDS) !== undefined) failedTwice++;
    }
    expect(failedFirst).toBeGreaterThan(50);
    expect(failedFirst).toBeLessThan(150);
    expect(failedTwice).toBeLessThanOrEqual(5);
  });
});

describe("partition faults", () => {
  it("fails every request naming a victim gid (path or parent/project/workspace/team parameter) with Asana-style bodies", async () => {
    const [p402, p403, p404] = sim.dataset.sampleGids("project", 3);
    const healthy = sim.dataset.listProjects({}).find((p) => ![p402, p403, p404].includes(p))!;
    const task = sim.dataset.sampleGids("task", 1)[0]!;
    const team = sim.dataset.listTeams(0)[0]!;
    sim.configure({
      partitionFaults: [
        { status: 402, gids: [p402!] },
        { status: 403, gids: [p403!, team] },
        { status: 404, gids: [p404!, task] },
      ],
    });
    const check = async (path: string, status: number, message: string): Promise<void> => {
      const r = await raw(sim, path);
      expect(r.status, path).toBe(status);
      expect(JSON.parse(r.body), path).toEqual({ errors: [{ message, help: HELP }] });
    };
    for (const path of [`/tasks?project=${p402}&limit=100`, `/projects/${p402}/sections`, `/attachments?parent=${p402}`, `/status_updates?parent=${p402}`]) {
      await check(path, 402, PAYMENT_REQUIRED_MESSAGE);
    }
    await check(`/projects/${p403}`, 403, "Forbidden");
    await check(`/teams/${team}/team_memberships`, 403, "Forbidden");
    await check(`/projects?team=${team}`, 403, "Forbidden");
    await check(`/tasks?project=${p404}`, 404, `project: Not a recognized ID: ${p404}`);
    await check(`/attachments?parent=${p404}`, 404, `parent: Not a recognized ID: ${p404}`);
    await check(`/projects/${p404}/sections`, 404, `project: Not a recognized ID: ${p404}`);
    await check(`/tasks/${task}/stories`, 404, `task: Not a recognized ID: ${task}`);
    expect((await raw(sim, `/tasks?project=${healthy}&limit=100`)).status).toBe(200);
    expect((await raw(sim, `/projects/${healthy}/sections`)).status).toBe(200);

    sim.configure({ partitionFaults: [{ status: 403, gids: [p403!], message: "The following scopes must be present to fulfill this request: projects:read" }] });
    await check(`/projects/${p403}`, 403, "The following scopes must be present to fulfill this request: projects:read");
  });

  it("picks deterministic victims with dataset.sampleGids", async () => {
    const again = await startSimulator({ seed: 1, size: "small" });
    try {
      for (const kind of ["workspace", "user", "team", "project", "section", "task", "subtask", "tag"] as const) {
        const gids = sim.dataset.sampleGids(kind, 3);
        expect(gids, kind).toEqual(again.dataset.sampleGids(kind, 3));
        expect(new Set(gids).size, kind).toBe(gids.length);
        for (const gid of gids) expect(sim.dataset.lookup(gid), `${kind} ${gid}`).toBeDefined();
      }
      expect(sim.dataset.sampleGids("project", 2, 1)).not.toEqual(sim.dataset.sampleGids("project", 2, 2));
      // Projects with tasks, top-level tasks and subtasks.
      for (const gid of sim.dataset.sampleGids("project", 5)) expect(sim.dataset.listTasks({ project: sim.dataset.find(KIND.project, gid)! }).length).toBeGreaterThan(0);
      for (const gid of sim.dataset.sampleGids("subtask", 5)) expect(sim.dataset.lookup(gid)!.stream).toBe("subtasks");
      for (const gid of sim.dataset.sampleGids("task", 5)) expect(sim.dataset.lookup(gid)!.stream).toBe("tasks");
    } finally {
      await again.close();
    }
  });
});

describe("offsets", () => {
  type Page = { data: { gid: string }[]; next_page: { offset: string; uri: string } | null; errors?: { message: string }[] };
  const page = async (path: string): Promise<{ status: number; body: Page }> => {
    const r = await raw(sim, path);
    return { status: r.status!, body: JSON.parse(r.body) as Page };
  };
  const tasksPath = (): string => `/tasks?project=${projectGid}&limit=2`;

  it("expire after offsetTtlMs on the simulated clock with 400 `offset: Your pagination token has expired.`", async () => {
    sim.configure({ offsetTtlMs: 60_000 });
    const first = await page(tasksPath());
    const offset = first.body.next_page!.offset;
    expect((await page(first.body.next_page!.uri)).status).toBe(200);
    sim.advanceClock(61_000);
    const expired = await page(first.body.next_page!.uri);
    expect(expired.status).toBe(400);
    expect(expired.body).toEqual({ errors: [{ message: OFFSET_EXPIRED_MESSAGE, help: HELP }] });
    // A fresh walk works; a garbage offset is still "invalid", not "expired".
    const fresh = await page(tasksPath());
    expect(fresh.body.next_page!.offset).not.toBe(offset);
    expect((await page(fresh.body.next_page!.uri)).status).toBe(200);
    expect((await page(`${tasksPath()}&offset=garbage`)).body.errors?.[0]?.message).toBe("offset: Invalid offset");
  });

  it("expireOffsetsOnce: the first offset of each query is expired; a restart from page 1 gets offsets that work", async () => {
    sim.configure({ expireOffsetsOnce: true });
    const expected = sim.dataset.listTasks({ project: sim.dataset.find(KIND.project, projectGid)! });
    expect(expected.length).toBeGreaterThan(4);
    const first = await page(tasksPath());
    const expired = await page(first.body.next_page!.uri);
    expect(expired.status).toBe(400);
    expect(expired.body.errors?.[0]?.message).toBe(OFFSET_EXPIRED_MESSAGE);
    // The same token stays expired.
    expect((await page(first.body.next_page!.uri)).status).toBe(400);
    // Restart: every page works now.
    const gids: string[] = [];
    let next: string | null = tasksPath();
    for (let i = 0; next !== null && i < 100; i++) {
      const p = await page(next);
      expect(p.status).toBe(200);
      gids.push(...p.body.data.map((t) => t.gid));
      next = p.body.next_page === null ? null : p.body.next_page.uri;
    }
    expect(gids).toEqual(expected);
    // Another query (another partition) expires once too.
    const other = await page(`/tasks?project=${sim.dataset.sampleGids("project", 2)[1]}&limit=1`);
    expect((await page(other.body.next_page!.uri)).status).toBe(400);
  });

  it("repeatOffsetFor: a victim partition returns the same next_page offset forever; others end normally", async () => {
    const healthy = sim.dataset.sampleGids("project", 2)[1]!;
    sim.configure({ repeatOffsetFor: [projectGid] });
    const first = await page(tasksPath());
    const offset = first.body.next_page!.offset;
    let next = first.body.next_page!.uri;
    for (let i = 0; i < 10; i++) {
      const p = await page(next);
      expect(p.status).toBe(200);
      expect(p.body.next_page).not.toBeNull();
      expect(p.body.next_page!.offset).toBe(offset);
      next = p.body.next_page!.uri;
    }
    const stories = sim.dataset.sampleGids("task", 1)[0]!;
    sim.configure({ repeatOffsetFor: [projectGid, stories] });
    const s1 = await page(`/tasks/${stories}/stories?limit=100`);
    expect(s1.body.next_page).not.toBeNull();
    expect((await page(s1.body.next_page!.uri)).body.next_page!.offset).toBe(s1.body.next_page!.offset);
    let pages = 0;
    let url: string | null = `/tasks?project=${healthy}&limit=2`;
    for (; url !== null && pages < 100; pages++) {
      const p: { status: number; body: Page } = await page(url);
      url = p.body.next_page === null ? null : p.body.next_page.uri;
    }
    expect(url).toBeNull();
  });
});
