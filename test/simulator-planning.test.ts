/**
 * The simulator's custom fields, task templates, portfolios, goals, time periods and audit log
 * over HTTP: the data is there at every size (custom field types, disabled enum options, nested
 * portfolios, goals without time periods, goal relationships), portfolios follow the `owner`
 * rules per token, the audit log is a service account's only, time-ordered, filtered by
 * start_at / end_at, with a next_page even after its last event, and mutations append to it;
 * a 402 on a goal or portfolio skips what hangs from it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KIND } from "../integration_tests/simulator/gids.js";
import { AUDIT_LOG_FORBIDDEN_MESSAGE, Dataset, PAYMENT_REQUIRED_MESSAGE, type Simulator, startSimulator } from "../integration_tests/simulator/index.js";
import { catalogFor, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "./helpers/cli.js";

interface Page {
  status: number;
  body: { data?: Array<Record<string, unknown>>; next_page?: { offset: string; uri: string } | null; errors?: Array<{ message: string }> };
}

let sim: Simulator;
let org: string;

async function get(path: string, token = sim.token): Promise<Page> {
  const response = await fetch(`${sim.baseUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as Page["body"] };
}

beforeAll(async () => {
  sim = await startSimulator({ seed: 5, size: "small" });
  const workspaces = await get("/workspaces?opt_fields=is_organization");
  org = String(workspaces.body.data!.find((w) => w.is_organization === true)!.gid);
});

afterAll(async () => {
  await sim?.close();
});

describe("the data, at every size", () => {
  it.each(["small", "medium", "large"] as const)("%s: custom fields of every type with disabled enum options, nested portfolios, goals without time periods, relationships", (size) => {
    const d = new Dataset(5, size);
    const fields = [...d.groundTruth("custom_fields")];
    expect(new Set(fields.map((f) => f.type))).toEqual(new Set(["text", "number", "enum", "multi_enum", "date", "people"]));
    const options = fields.flatMap((f) => (f.enum_options as Array<{ enabled: boolean }> | null) ?? []);
    expect(options.some((o) => o.enabled === false)).toBe(true);
    expect(d.planning.portfolios.some((p) => p.portfolios.length > 0)).toBe(true);
    const goals = [...d.groundTruth("goals")];
    expect(goals.some((g) => g.time_period === null)).toBe(true);
    expect(goals.some((g) => g.time_period !== null)).toBe(true);
    const relationships = [...d.groundTruth("goal_relationships")];
    expect(new Set(relationships.map((r) => r.resource_subtype))).toEqual(new Set(["subgoal", "supporting_work"]));
    for (const stream of ["task_templates", "time_periods", "custom_field_settings", "portfolio_items"] as const) {
      expect([...d.groundTruth(stream)].length, stream).toBeGreaterThan(0);
    }
    expect([...d.groundTruth("audit_log_events", "service_account")].length).toBeGreaterThan(0);
  });
});

describe("portfolios and the owner parameter", () => {
  it("a personal token lists the portfolios it owns, a service account all of them or the owner's", async () => {
    const d = sim.dataset;
    const mine = (await get(`/portfolios?workspace=${org}&opt_fields=owner`)).body.data!;
    expect(mine.length).toBeGreaterThan(0);
    const me = d.gids.encode(KIND.user, d.me);
    for (const p of mine) expect((p.owner as { gid: string }).gid).toBe(me);
    const all = (await get(`/portfolios?workspace=${org}`, sim.serviceAccountToken)).body.data!;
    expect(all.length).toBe(d.planning.portfolios.length);
    expect(all.length).toBeGreaterThan(mine.length);
    const owned = (await get(`/portfolios?workspace=${org}&owner=${me}`, sim.serviceAccountToken)).body.data!;
    expect(owned.map((p) => p.gid)).toEqual(mine.map((p) => p.gid));
    const other = d.planning.portfolios.find((p) => p.owner !== d.me)!;
    const refused = await get(`/portfolios?workspace=${org}&owner=${d.gids.encode(KIND.user, other.owner)}`);
    expect(refused.status).toBe(403);
    expect((await get("/portfolios")).status).toBe(400);
  });

  it("a portfolio's items are its projects, then its nested portfolios", async () => {
    const parent = sim.dataset.planning.portfolios.find((p) => p.portfolios.length > 0)!;
    const gid = sim.dataset.gids.encode(KIND.portfolio, parent.index);
    const items = (await get(`/portfolios/${gid}/items?limit=100`)).body.data!;
    expect(items.map((i) => i.resource_type)).toEqual([...parent.projects.map(() => "project"), ...parent.portfolios.map(() => "portfolio")]);
  });
});

describe("the audit log", () => {
  const path = (): string => `/workspaces/${org}/audit_log_events`;

  it("answers 403 to a personal token, saying who may read it", async () => {
    const res = await get(`${path()}?limit=100`);
    expect(res.status).toBe(403);
    expect(res.body.errors![0]!.message).toBe(AUDIT_LOG_FORBIDDEN_MESSAGE);
  });

  it("is time-ordered and keeps a next_page after its last event (an empty page ends it)", async () => {
    const seen: Array<Record<string, unknown>> = [];
    let url: string | undefined = `${path()}?limit=20`;
    let pages = 0;
    for (; url !== undefined && pages < 100; pages++) {
      const res: Page = await get(url, sim.serviceAccountToken);
      expect(res.status).toBe(200);
      expect(res.body.next_page).not.toBeNull();
      if (res.body.data!.length === 0) break;
      seen.push(...res.body.data!);
      url = res.body.next_page!.uri.slice(sim.baseUrl.length);
    }
    const total = [...sim.dataset.groundTruth("audit_log_events", "service_account")].length;
    expect(seen).toHaveLength(total);
    expect(pages).toBe(Math.ceil(total / 20));
    const times = seen.map((e) => Date.parse(String(e.created_at)));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("filters on start_at (inclusive) and end_at (exclusive)", async () => {
    const events = [...sim.dataset.groundTruth("audit_log_events", "service_account")];
    const from = String(events[10]!.created_at);
    const to = String(events[20]!.created_at);
    const res = await get(`${path()}?limit=100&start_at=${from}&end_at=${to}`, sim.serviceAccountToken);
    expect(res.body.data!.map((e) => e.gid)).toEqual(events.slice(10, 20).map((e) => e.gid));
  });

  it("gets an event for each task created or deleted, comment deleted and file attached by a mutation", async () => {
    const before = sim.dataset.audit.count(sim.dataset.find(KIND.workspace, org)!);
    sim.mutate({ createTasks: 2, deleteTasks: 1, addAttachments: 1, deleteComments: 1, modifyTasks: 3, seed: 3 });
    const added = sim.dataset.audit.events(sim.dataset.find(KIND.workspace, org)!).slice(before);
    expect(added.length).toBeGreaterThan(0);
    expect(new Set(added.map((e) => e.eventType)).size).toBeGreaterThan(1);
    for (const e of added) expect(e.createdAt).toBeLessThanOrEqual(sim.now());
    const res = await get(`${path()}?limit=100&start_at=${new Date(added[0]!.createdAt).toISOString()}`, sim.serviceAccountToken);
    expect(res.body.data!.map((e) => e.gid)).toEqual(added.map((e) => e.gid));
  });
});

describe("plan gating (402) as for the other resources", () => {
  it("a 402 on a goal or a portfolio answers its relationships, items and settings; a sync skips those partitions and succeeds", async () => {
    const d = sim.dataset;
    const goal = d.gids.encode(KIND.goal, 0);
    const portfolio = d.gids.encode(KIND.portfolio, 0);
    sim.configure({ partitionFaults: [{ status: 402, gids: [goal, portfolio] }] });
    try {
      expect((await get(`/goal_relationships?supported_goal=${goal}&limit=100`)).status).toBe(402);
      expect((await get(`/portfolios/${portfolio}/items?limit=100`)).status).toBe(402);
      expect((await get(`/portfolios/${portfolio}/custom_field_settings?limit=100`)).status).toBe(402);
      const dir = tempDir();
      const config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token));
      const catalog = writeJson(dir, "catalog.json", catalogFor(["goal_relationships", "portfolio_items"]));
      const result = await runAirbyte(["read", "--config", config, "--catalog", catalog]);
      expect(result.code).toBe(0);
      const warnings = result.messages.filter((m) => m.type === "LOG" && m.log!.level === "WARN").map((m) => m.log!.message);
      expect(warnings.filter((w) => w.includes(PAYMENT_REQUIRED_MESSAGE))).toHaveLength(2);
      expect(recordsOf(result.messages, "goal_relationships").some((r) => (r.supported_goal as { gid: string }).gid === goal)).toBe(false);
      expect(recordsOf(result.messages, "portfolio_items").some((r) => r.portfolio_gid === portfolio)).toBe(false);
      expect(recordsOf(result.messages, "goal_relationships").length).toBeGreaterThan(0);
    } finally {
      sim.configure({ partitionFaults: null });
    }
  }, 60_000);
});
