/**
 * The Asana simulator (integration_tests/simulator/): HTTP behaviour (auth, pagination, compact
 * vs opt_fields records, Asana's 400/404 errors, request accounting), the dataset (determinism,
 * referential integrity, schema conformance) and minimalRequests() checked against a real walk.
 * Every simulator runs in-process on 127.0.0.1 (port 0) and every loop is bounded.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormatsImport from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiRecord, Dataset } from "../integration_tests/simulator/dataset.js";
import { COMPACT_FIELDS, RECORD_FIELDS, STREAM_NAMES, type StreamName } from "../integration_tests/simulator/fields.js";
import { generateFieldsSource } from "../integration_tests/simulator/gen-fields.js";
import { KIND } from "../integration_tests/simulator/gids.js";
import { fullRecordPaths, type Simulator, startSimulator } from "../integration_tests/simulator/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OAS_PATH = resolve(ROOT, "..", "shared", "asana", "asana_oas.yaml");
const HELP = "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors";
const MAX_PAGES = 1000;

type Body = { data?: unknown; next_page?: { offset: string; path: string; uri: string } | null; errors?: { message: string; help: string }[] };

async function get(sim: Simulator, path: string, token: string | null = sim.token): Promise<{ status: number; body: Body; contentType: string | null }> {
  const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
  const res = await fetch(path.startsWith("http") ? path : `${sim.baseUrl}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Body, contentType: res.headers.get("content-type") };
}

function records(body: Body): ApiRecord[] {
  return body.data as ApiRecord[];
}

/** Follows next_page from `path` (limit=100) to the end; returns the records and the page count. */
async function walk(sim: Simulator, path: string): Promise<{ items: ApiRecord[]; pages: number }> {
  const items: ApiRecord[] = [];
  let url: string | null = path;
  let pages = 0;
  while (url !== null) {
    if (pages >= MAX_PAGES) throw new Error(`more than ${MAX_PAGES} pages for ${path}`);
    const { status, body } = await get(sim, url);
    if (status !== 200) throw new Error(`${url}: HTTP ${status} ${JSON.stringify(body)}`);
    pages++;
    items.push(...records(body));
    expect(body).toHaveProperty("next_page");
    url = body.next_page === null || body.next_page === undefined ? null : body.next_page.uri;
  }
  return { items, pages };
}

/** Every top-level field and dotted path: what makes a list record the full record. */
const allFields = (stream: StreamName): string => fullRecordPaths(stream).join(",");

function byGid(items: Iterable<ApiRecord>): Map<string, ApiRecord> {
  const map = new Map<string, ApiRecord>();
  for (const item of items) map.set(item.gid as string, item);
  return map;
}

function gidOf(value: unknown): string {
  return (value as { gid: string }).gid;
}

// -----------------------------------------------------------------------------------------------

describe("simulator over HTTP (seed 1, medium)", () => {
  let sim: Simulator;
  let org: string;
  let personal: string;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 1, size: "medium", port: 0 });
    const workspaces = records((await get(sim, "/workspaces?opt_fields=is_organization")).body);
    org = workspaces.find((w) => w.is_organization === true)!.gid as string;
    personal = workspaces.find((w) => w.is_organization === false)!.gid as string;
  });
  afterAll(async () => {
    await sim.close();
  });

  it("listens on 127.0.0.1 under /api/1.0 with the default token", () => {
    expect(sim.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/1\.0$/);
    expect(sim.token).toBe("sim-pat-0001");
  });

  it("answers 401 with Asana's body without a token or with a wrong one", async () => {
    for (const token of [null, "wrong-token"]) {
      const res = await get(sim, "/workspaces", token);
      expect(res.status).toBe(401);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(res.body).toEqual({ errors: [{ message: "Not Authorized", help: HELP }] });
    }
  });

  it("rejects limit outside 1..100 with 400", async () => {
    for (const limit of ["0", "101", "-1", "abc", "1.5"]) {
      const res = await get(sim, `/workspaces?limit=${limit}`);
      expect(res.status, `limit=${limit}`).toBe(400);
      expect(res.body.errors?.[0]?.message).toMatch(/^limit: /);
      expect(res.body.errors?.[0]?.help).toBe(HELP);
    }
    expect((await get(sim, "/workspaces?limit=1")).status).toBe(200);
    expect((await get(sim, "/workspaces?limit=100")).status).toBe(200);
  });

  it("walks a >250-task project to next_page: null, without duplicates, covering the project", async () => {
    const big = sim.dataset.structure.projects.find((p) => p.tasks.length > 250)!;
    expect(big).toBeDefined();
    const projectGid = sim.dataset.gids.encode(KIND.project, big.index);
    const { items, pages } = await walk(sim, `/tasks?project=${projectGid}&limit=100`);
    const gids = items.map((t) => t.gid as string);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(pages).toBe(Math.ceil(big.tasks.length / 100));
    expect(new Set(gids).size).toBe(gids.length);
    expect(new Set(gids)).toEqual(new Set(sim.dataset.listTasks({ project: big.index })));
    // Compact task records by default.
    for (const t of items) expect(Object.keys(t)).toEqual(["gid", "resource_type", "name", "resource_subtype", "created_by"]);
  });

  it("builds next_page as {offset, path, uri} and keeps the query's other parameters", async () => {
    const { body } = await get(sim, `/users?workspace=${org}&limit=5&opt_fields=name`);
    const next = body.next_page!;
    expect(Object.keys(next).sort()).toEqual(["offset", "path", "uri"]);
    expect(next.path.startsWith("/users?")).toBe(true);
    expect(next.uri).toBe(`${sim.baseUrl}${next.path}`);
    const params = new URL(next.uri).searchParams;
    expect(params.get("workspace")).toBe(org);
    expect(params.get("limit")).toBe("5");
    expect(params.get("offset")).toBe(next.offset);
    // Opaque: not a plain number.
    expect(next.offset).not.toMatch(/^\d+$/);
    const second = await get(sim, next.uri);
    expect(records(second.body).map((u) => u.gid)).toEqual(sim.dataset.listUsers(0).slice(5, 10));
  });

  it("returns everything and no next_page key when no limit is given", async () => {
    const { body } = await get(sim, `/users?workspace=${org}`);
    expect(body).not.toHaveProperty("next_page");
    expect(records(body).map((u) => u.gid)).toEqual(sim.dataset.listUsers(0));
  });

  it("rejects a garbage, tampered or foreign offset with 400 `offset: Invalid offset`", async () => {
    const { body } = await get(sim, `/users?workspace=${org}&limit=5`);
    const token = body.next_page!.offset;
    const tampered = Buffer.from(Buffer.from(token, "base64url").toString("utf8").replace('"p":5', '"p":6')).toString("base64url");
    for (const offset of ["garbage", "eyJ2IjoxfQ", "12345", tampered]) {
      const res = await get(sim, `/users?workspace=${org}&limit=5&offset=${encodeURIComponent(offset)}`);
      expect(res.status, offset).toBe(400);
      expect(res.body.errors?.[0]?.message).toBe("offset: Invalid offset");
    }
    // The same token on another query (another workspace) is not valid either.
    expect((await get(sim, `/users?workspace=${personal}&limit=5&offset=${token}`)).status).toBe(400);
  });

  it("returns compact records by default and gid plus exactly the opt_fields otherwise", async () => {
    const compact = records((await get(sim, "/workspaces")).body);
    for (const w of compact) expect(Object.keys(w)).toEqual(["gid", "resource_type", "name"]);

    const teamGid = sim.dataset.listTeams(0)[0]!;
    const memberships = records((await get(sim, `/teams/${teamGid}/team_memberships?limit=100`)).body);
    for (const m of memberships) expect(Object.keys(m)).toEqual([...COMPACT_FIELDS.team_memberships]);

    const hooks = records((await get(sim, `/webhooks?workspace=${org}`)).body);
    expect(hooks.length).toBeGreaterThan(0);
    for (const h of hooks) expect(Object.keys(h)).toEqual(Object.keys(RECORD_FIELDS.webhooks));

    const projectGid = sim.dataset.listProjects({ workspace: 0 })[0]!;
    const tasks = records((await get(sim, `/tasks?project=${projectGid}&limit=10&opt_fields=name,assignee,projects,workspace`)).body);
    for (const t of tasks) {
      expect(Object.keys(t)).toEqual(["gid", "name", "assignee", "projects", "workspace"]);
      // Nested resources are compact without dotted sub-fields.
      expect(t.workspace).toEqual({ gid: org, resource_type: "workspace" });
      if (t.assignee !== null) expect(Object.keys(t.assignee as object)).toEqual(["gid", "resource_type"]);
      expect((t.projects as ApiRecord[]).map((p) => p.gid)).toContain(projectGid);
    }
    const withType = records((await get(sim, `/tasks?project=${projectGid}&limit=3&opt_fields=resource_type`)).body);
    for (const t of withType) expect(t).toEqual({ gid: t.gid, resource_type: "task" });
  });

  it("adds sub-fields of nested references for dotted opt_fields", async () => {
    const projectGid = sim.dataset.listProjects({ workspace: 0 })[0]!;
    const full = sim.dataset.fullRecord(projectGid)!;
    const { body } = await get(sim, `/projects/${projectGid}?opt_fields=owner.name,workspace.name`);
    const project = body.data as ApiRecord;
    expect(Object.keys(project)).toEqual(["gid", "owner", "workspace"]);
    expect(project.workspace).toEqual(full.workspace);
    expect(project.owner).toEqual(full.owner);
  });

  it("rejects an unknown opt_field with 400", async () => {
    const res = await get(sim, "/workspaces?opt_fields=name,bogus_field");
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.message).toMatch(/bogus_field/);
    expect(res.body.errors?.[0]?.help).toBe(HELP);
  });

  it("answers 400 when a required parameter is missing", async () => {
    const cases: [string, RegExp][] = [
      ["/tasks", /Missing input/],
      ["/tasks?limit=10", /Missing input/],
      ["/tasks?assignee=me", /^workspace: Missing input$/],
      ["/attachments", /^parent: Missing input$/],
      ["/status_updates", /^parent: Missing input$/],
      ["/webhooks", /^workspace: Missing input$/],
      ["/project_templates", /Missing input/],
      [`/workspaces/${personal}/teams`, /Not an organization/],
      [`/tasks?project=${sim.dataset.listProjects({ workspace: 0 })[0]}&modified_since=yesterday`, /^modified_since: /],
      [`/projects?workspace=${org}&archived=maybe`, /^archived: /],
    ];
    for (const [path, message] of cases) {
      const res = await get(sim, path);
      expect(res.status, path).toBe(400);
      expect(res.body.errors?.[0]?.message, path).toMatch(message);
    }
  });

  it("answers 404 for unknown gids (also gids of another type) and unknown routes", async () => {
    const taskGid = sim.dataset.gids.encode(KIND.task, 0);
    const projectGid = sim.dataset.listProjects({ workspace: 0 })[0]!;
    const cases: [string, string][] = [
      ["/projects/123/sections", "project: Not a recognized ID: 123"],
      ["/tasks?project=123", "project: Not a recognized ID: 123"],
      [`/tasks?project=${taskGid}`, `project: Not a recognized ID: ${taskGid}`],
      [`/tasks/${projectGid}/stories`, `task: Not a recognized ID: ${projectGid}`],
      [`/attachments?parent=${org}`, `parent: Not a recognized ID: ${org}`],
      ["/status_updates?parent=999", "parent: Not a recognized ID: 999"],
      ["/tasks/99999999999999999999", "task: Not a recognized ID: 99999999999999999999"],
      ["/no/such/route", "No matching route for request"],
    ];
    for (const [path, message] of cases) {
      const res = await get(sim, path);
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ errors: [{ message, help: HELP }] });
    }
  });

  it("serves single objects (full by default) and /users/me", async () => {
    const me = await get(sim, "/users/me");
    expect(me.status).toBe(200);
    expect(me.body.data).toEqual(sim.dataset.fullRecord(sim.dataset.gids.encode(KIND.user, 0)));
    const taskGid = sim.dataset.gids.encode(KIND.task, 3);
    const task = await get(sim, `/tasks/${taskGid}?opt_fields=name,num_subtasks`);
    expect(Object.keys(task.body.data as object)).toEqual(["gid", "name", "num_subtasks"]);
  });

  it("filters projects by archived and tasks by modified_since / completed_since, status updates by created_since", async () => {
    // Filters read the facts; a record's field may be null (Asana sends nulls), so expectations use the facts too.
    const facts = sim.dataset.facts;
    const all = (await walk(sim, `/projects?workspace=${org}&limit=100`)).items;
    const archived = records((await get(sim, `/projects?workspace=${org}&archived=true`)).body);
    const active = records((await get(sim, `/workspaces/${org}/projects?archived=false`)).body);
    expect(archived.length).toBeGreaterThan(0);
    expect(archived.length + active.length).toBe(all.length);
    const isArchived = (gid: string): boolean => facts.project(sim.dataset.find(KIND.project, gid)!).archived;
    expect(new Set(archived.map((p) => p.gid))).toEqual(new Set(all.filter((p) => isArchived(p.gid as string)).map((p) => p.gid)));

    const big = sim.dataset.structure.projects.find((p) => p.tasks.length > 250)!;
    const projectGid = sim.dataset.gids.encode(KIND.project, big.index);
    const tasks = (await walk(sim, `/tasks?project=${projectGid}&limit=100&opt_fields=modified_at`)).items.map((t) => {
      const f = facts.task(sim.dataset.find(KIND.task, t.gid as string)!);
      const withFacts: ApiRecord = { ...t, completed: f.completed, completed_at: f.completedAt === null ? null : new Date(f.completedAt).toISOString() };
      return withFacts;
    });
    const times = tasks.map((t) => Date.parse(t.modified_at as string)).sort((a, b) => a - b);
    const since = new Date(times[Math.floor(times.length / 2)]!).toISOString();
    const modified = (await walk(sim, `/tasks?project=${projectGid}&limit=100&modified_since=${since}&opt_fields=modified_at`)).items;
    expect(modified.length).toBe(tasks.filter((t) => (t.modified_at as string) >= since).length);
    for (const t of modified) expect(t.modified_at as string >= since).toBe(true);

    const incomplete = (await walk(sim, `/tasks?project=${projectGid}&limit=100&completed_since=now&opt_fields=completed`)).items;
    expect(incomplete.length).toBe(tasks.filter((t) => t.completed === false).length);
    const completedSince = (await walk(sim, `/tasks?project=${projectGid}&limit=100&completed_since=${since}&opt_fields=completed_at`)).items;
    expect(completedSince.length).toBe(tasks.filter((t) => t.completed_at === null || (t.completed_at as string) >= since).length);

    const withUpdates = sim.dataset.structure.projects.find((p) => sim.dataset.facts.statusUpdateCount(p.index) >= 2)!;
    const parent = sim.dataset.gids.encode(KIND.project, withUpdates.index);
    const updates = records((await get(sim, `/status_updates?parent=${parent}&opt_fields=created_at`)).body);
    const cutoff = updates[1]!.created_at as string;
    const recent = records((await get(sim, `/status_updates?parent=${parent}&created_since=${cutoff}`)).body);
    expect(recent.length).toBe(updates.filter((u) => (u.created_at as string) >= cutoff).length);
  });

  it("supports the alternative task filters (section, tag, assignee + workspace)", async () => {
    const project = sim.dataset.structure.projects.find((p) => p.sections.length > 1 && p.tasks.length > 10)!;
    const section = project.sections[0]!;
    const sectionGid = sim.dataset.gids.encode(KIND.section, section);
    const inSection = (await walk(sim, `/tasks?section=${sectionGid}&limit=100&opt_fields=memberships`)).items;
    for (const t of inSection) expect((t.memberships as ApiRecord[]).some((m) => gidOf(m.section) === sectionGid)).toBe(true);

    const tagGid = sim.dataset.listTags(0)[0]!;
    // tags and assignee may be null in a record (Asana sends nulls); the others say what the filter says.
    const tagged = (await walk(sim, `/tasks?tag=${tagGid}&limit=100&opt_fields=tags`)).items;
    expect(tagged.length).toBeGreaterThan(0);
    for (const t of tagged) if (t.tags !== null) expect((t.tags as ApiRecord[]).map((x) => x.gid)).toContain(tagGid);
    expect(tagged.some((t) => t.tags !== null)).toBe(true);

    const mine = (await walk(sim, `/tasks?assignee=me&workspace=${org}&limit=100&opt_fields=assignee`)).items;
    expect(mine.length).toBeGreaterThan(0);
    for (const t of mine) if (t.assignee !== null) expect(gidOf(t.assignee)).toBe(sim.dataset.gids.encode(KIND.user, 0));
    expect(mine.some((t) => t.assignee !== null)).toBe(true);
  });

  it("counts requests per route pattern and status, tracks peak concurrency, and exposes /_sim/stats", async () => {
    sim.resetStats();
    const taskGid = sim.dataset.gids.encode(KIND.task, 0);
    await get(sim, `/tasks/${taskGid}/stories`);
    await get(sim, `/tasks/${taskGid}/stories`);
    await get(sim, "/workspaces", null);
    await get(sim, "/nope");
    const stats = sim.stats();
    expect(stats.total).toBe(4);
    expect(stats.byRoute["GET /tasks/{gid}/stories"]).toBe(2);
    expect(stats.byRoute["GET /workspaces"]).toBe(1);
    expect(stats.byStatus).toEqual({ "200": 2, "401": 1, "404": 1 });
    expect(stats.peakConcurrency).toBeGreaterThanOrEqual(1);

    const control = await fetch(sim.baseUrl.replace("/api/1.0", "/_sim/stats"));
    expect(await control.json()).toEqual(sim.stats());
    const reset = await fetch(sim.baseUrl.replace("/api/1.0", "/_sim/reset"), { method: "POST" });
    expect(reset.status).toBe(200);
    expect(sim.stats().total).toBe(0);
  });
});

describe("peak concurrency with latency", () => {
  it("sees concurrent in-flight requests", async () => {
    const sim = await startSimulator({ seed: 3, size: "small", latencyMs: 50, tokens: ["a-token", "another"] });
    try {
      expect(sim.token).toBe("a-token");
      const results = await Promise.all(Array.from({ length: 8 }, () => get(sim, "/workspaces")));
      for (const r of results) expect(r.status).toBe(200);
      expect((await get(sim, "/workspaces", "another")).status).toBe(200);
      expect(sim.stats().peakConcurrency).toBeGreaterThanOrEqual(4);
    } finally {
      await sim.close();
    }
  });
});

// -----------------------------------------------------------------------------------------------


describe("dataset", () => {
  const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as (ajv: Ajv) => Ajv;

  it("is deterministic: same seed, same ground truth; another seed, another one", () => {
    const dump = (d: Dataset): string => JSON.stringify(STREAM_NAMES.map((s) => [...d.groundTruth(s)]));
    const a = dump(new Dataset(7, "small"));
    expect(dump(new Dataset(7, "small"))).toBe(a);
    expect(dump(new Dataset(8, "small"))).not.toBe(a);
    expect(JSON.stringify(new Dataset(7, "medium").minimalRequests())).toBe(JSON.stringify(new Dataset(7, "medium").minimalRequests()));
  });

  for (const size of ["small", "medium"] as const) {
    it(`${size}: every record has exactly the OAS <X>Response fields and validates against schemas/<stream>.json`, () => {
      const dataset = new Dataset(1, size);
      const ajv = new Ajv({ strict: false, allowUnionTypes: true, allErrors: true });
      addFormats(ajv);
      const counts = dataset.counts();
      for (const stream of STREAM_NAMES) {
        const schemaPath = join(ROOT, "schemas", `${stream}.json`);
        const validate = existsSync(schemaPath) ? ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")) as object) : undefined;
        // The connector adds portfolio_gid to each portfolio item (the partition it was listed in).
        const fields = [...Object.keys(RECORD_FIELDS[stream]), ...(stream === "portfolio_items" ? ["portfolio_gid"] : [])];
        let n = 0;
        for (const record of dataset.groundTruth(stream)) {
          n++;
          const gid = String(record.gid);
          expect(Object.keys(record), `${stream} ${gid}`).toEqual(fields);
          if (validate !== undefined && !validate(record)) {
            throw new Error(`${stream} ${gid}: ${ajv.errorsText(validate.errors)}`);
          }
        }
        expect(n, stream).toBe(counts[stream]);
      }
    });
  }

  it("medium: has the advertised shape and referential integrity", () => {
    const dataset = new Dataset(1, "medium");
    const truth = Object.fromEntries(STREAM_NAMES.map((s) => [s, byGid(dataset.groundTruth(s))])) as Record<StreamName, Map<string, ApiRecord>>;
    // gids are unique across all streams (tasks and subtasks are both tasks but disjoint); portfolio
    // items are projects and portfolios listed again.
    const owning = STREAM_NAMES.filter((s) => s !== "portfolio_items");
    const all = owning.reduce((n, s) => n + truth[s].size, 0);
    expect(new Set(owning.flatMap((s) => [...truth[s].keys()])).size).toBe(all);
    for (const s of STREAM_NAMES) for (const gid of truth[s].keys()) expect(gid).toMatch(/^\d{16}$/);

    const workspaces = [...truth.workspaces.values()];
    expect(workspaces.filter((w) => w.is_organization === true)).toHaveLength(1);
    expect(workspaces.filter((w) => w.is_organization === false)).toHaveLength(1);
    expect(truth.tasks.size).toBeGreaterThan(1000);
    expect(truth.projects.size).toBeGreaterThanOrEqual(24);
    expect(dataset.structure.projects.some((p) => p.tasks.length > 250)).toBe(true);
    expect(dataset.structure.projects.some((p) => p.tasks.length === 0)).toBe(true);
    expect([...truth.projects.values()].some((p) => p.archived === true)).toBe(true);

    const tasksAndSubtasks = new Map([...truth.tasks, ...truth.subtasks]);
    // num_subtasks is the real count of direct subtasks; parents exist.
    const children = new Map<string, number>();
    for (const sub of truth.subtasks.values()) {
      const parent = gidOf(sub.parent);
      expect(tasksAndSubtasks.has(parent)).toBe(true);
      children.set(parent, (children.get(parent) ?? 0) + 1);
    }
    for (const [gid, t] of tasksAndSubtasks) expect(t.num_subtasks, gid).toBe(children.get(gid) ?? 0);
    const depth = (gid: string): number => {
      let d = 0;
      for (let t = tasksAndSubtasks.get(gid); t !== undefined && t.parent !== null && d < 10; t = tasksAndSubtasks.get(gidOf(t.parent))) d++;
      return d;
    };
    const maxDepth = Math.max(...[...truth.subtasks.keys()].map(depth));
    expect(maxDepth).toBeGreaterThanOrEqual(2);
    expect(maxDepth).toBeLessThanOrEqual(3);
    const withSubtasks = [...truth.tasks.values()].filter((t) => (t.num_subtasks as number) > 0).length;
    expect(withSubtasks / truth.tasks.size).toBeGreaterThan(0.2);
    expect(withSubtasks / truth.tasks.size).toBeLessThan(0.4);

    // Multi-homed tasks (~10%) are emitted once and listed by each of their projects.
    const multi = [...truth.tasks.values()].filter((t) => (t.projects as ApiRecord[]).length > 1);
    expect(multi.length / truth.tasks.size).toBeGreaterThan(0.05);
    expect(multi.length / truth.tasks.size).toBeLessThan(0.15);
    let listed = 0;
    for (const p of dataset.structure.projects) listed += p.tasks.length;
    expect(listed).toBe(truth.tasks.size + multi.length);
    for (const t of multi.slice(0, 20)) {
      for (const p of t.projects as ApiRecord[]) {
        const index = dataset.find(KIND.project, gidOf(p))!;
        expect(dataset.listTasks({ project: index })).toContain(t.gid);
      }
    }

    for (const t of truth.tasks.values()) {
      const projects = (t.projects as ApiRecord[]).map(gidOf);
      expect(projects.length).toBeGreaterThan(0);
      for (const p of projects) expect(truth.projects.has(p)).toBe(true);
      for (const m of t.memberships as ApiRecord[]) {
        const section = truth.sections.get(gidOf(m.section))!;
        expect(gidOf(section.project)).toBe(gidOf(m.project));
      }
      expect(truth.workspaces.has(gidOf(t.workspace))).toBe(true);
      if (t.assignee !== null) expect(truth.users.has(gidOf(t.assignee))).toBe(true);
      for (const tag of (t.tags as ApiRecord[] | null) ?? []) expect(truth.tags.has(gidOf(tag))).toBe(true);
      for (const dep of (t.dependencies as ApiRecord[] | null) ?? []) {
        const dependents = tasksAndSubtasks.get(gidOf(dep))!.dependents;
        if (dependents !== null) expect(dependents).toContainEqual({ gid: t.gid, resource_type: "task" });
      }
      expect(Date.parse(t.modified_at as string)).toBeGreaterThanOrEqual(Date.parse(t.created_at as string));
    }
    for (const sub of truth.subtasks.values()) {
      const parent = tasksAndSubtasks.get(gidOf(sub.parent))!;
      expect(gidOf(sub.workspace)).toBe(gidOf(parent.workspace));
      expect(sub.projects).toEqual([]);
    }
    for (const s of truth.stories.values()) expect(tasksAndSubtasks.has(gidOf(s.target))).toBe(true);
    for (const a of truth.attachments.values()) {
      const parent = gidOf(a.parent);
      expect(tasksAndSubtasks.has(parent) || truth.projects.has(parent)).toBe(true);
    }
    for (const u of truth.status_updates.values()) expect(truth.projects.has(gidOf(u.parent))).toBe(true);
    for (const s of truth.sections.values()) expect(truth.projects.has(gidOf(s.project))).toBe(true);
    for (const m of truth.team_memberships.values()) {
      expect(truth.users.has(gidOf(m.user))).toBe(true);
      expect(truth.teams.has(gidOf(m.team))).toBe(true);
    }
    for (const m of truth.workspace_memberships.values()) expect(truth.users.has(gidOf(m.user))).toBe(true);
    for (const t of truth.teams.values()) expect(truth.workspaces.get(gidOf(t.organization))?.is_organization).toBe(true);
    for (const p of truth.projects.values()) {
      // A project of a personal workspace has no team (null); every organization project has one.
      const org = truth.workspaces.get(gidOf(p.workspace))!.is_organization === true;
      if (org) expect(truth.teams.has(gidOf(p.team))).toBe(true);
      else expect(p.team).toBeNull();
      if (p.current_status_update !== null) expect(truth.status_updates.has(gidOf(p.current_status_update))).toBe(true);
    }
    for (const t of truth.project_templates.values()) expect(truth.teams.has(gidOf(t.team))).toBe(true);
    // Users are de-duplicated: some belong to both workspaces.
    expect([...truth.users.values()].some((u) => (u.workspaces as ApiRecord[]).length === 2)).toBe(true);
  });

  it("generates the large dataset quickly (time printed, not asserted)", () => {
    const t0 = performance.now();
    const dataset = new Dataset(1, "large");
    const built = performance.now() - t0;
    const minimal = dataset.minimalRequests();
    const counts = dataset.counts();
    const total = performance.now() - t0;
    console.log(
      `large dataset: structure ${built.toFixed(0)} ms, counts + minimalRequests ${total.toFixed(0)} ms; ` +
        `${counts.tasks} tasks, ${counts.subtasks} subtasks, ${counts.stories} stories, ${counts.attachments} attachments; ` +
        `minimal requests ${minimal.total}`,
    );
    expect(counts.tasks).toBeGreaterThan(100 * 1000);
  });
});

// -----------------------------------------------------------------------------------------------

describe("minimalRequests() matches a real walk (seed 1, small)", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 1, size: "small" });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("walks every stream with limit=100 and full opt_fields: same request count, same records as the ground truth", async () => {
    const byStream = Object.fromEntries(STREAM_NAMES.map((s) => [s, 0])) as Record<StreamName, number>;
    const found = Object.fromEntries(STREAM_NAMES.map((s) => [s, new Map<string, ApiRecord>()])) as Record<StreamName, Map<string, ApiRecord>>;
    const read = async (stream: StreamName, path: string, keyPrefix = ""): Promise<ApiRecord[]> => {
      const sep = path.includes("?") ? "&" : "?";
      const { items, pages } = await walk(sim, `${path}${sep}limit=100&opt_fields=${allFields(stream)}`);
      byStream[stream] += pages;
      for (const item of items) found[stream].set(`${keyPrefix}${item.gid as string}`, item);
      return items;
    };
    sim.resetStats();

    const workspaces = await read("workspaces", "/workspaces");
    const projects: ApiRecord[] = [];
    for (const ws of workspaces) {
      await read("users", `/users?workspace=${ws.gid}`);
      await read("workspace_memberships", `/workspaces/${ws.gid}/workspace_memberships`);
      projects.push(...(await read("projects", `/projects?workspace=${ws.gid}`)));
      await read("tags", `/tags?workspace=${ws.gid}`);
      await read("project_templates", `/project_templates?workspace=${ws.gid}`);
      await read("webhooks", `/webhooks?workspace=${ws.gid}`);
      await read("custom_fields", `/workspaces/${ws.gid}/custom_fields`);
      await read("time_periods", `/time_periods?workspace=${ws.gid}`);
      for (const goal of await read("goals", `/goals?workspace=${ws.gid}`)) await read("goal_relationships", `/goal_relationships?supported_goal=${goal.gid}`);
      for (const portfolio of await read("portfolios", `/portfolios?workspace=${ws.gid}`)) {
        await read("custom_field_settings", `/portfolios/${portfolio.gid}/custom_field_settings`);
        for (const item of await read("portfolio_items", `/portfolios/${portfolio.gid}/items`, `${portfolio.gid}:`)) item.portfolio_gid = portfolio.gid!;
      }
      if (ws.is_organization === true) {
        for (const team of await read("teams", `/workspaces/${ws.gid}/teams`)) {
          await read("team_memberships", `/teams/${team.gid}/team_memberships`);
        }
        // A personal token may not read the audit log: one request, answered 403.
        expect((await get(sim, `/workspaces/${ws.gid}/audit_log_events?limit=100`)).status).toBe(403);
        byStream.audit_log_events++;
      }
    }
    const tasks = new Map<string, ApiRecord>();
    for (const p of projects) {
      await read("sections", `/projects/${p.gid}/sections`);
      await read("status_updates", `/status_updates?parent=${p.gid}`);
      await read("attachments", `/attachments?parent=${p.gid}`);
      await read("custom_field_settings", `/projects/${p.gid}/custom_field_settings`);
      await read("task_templates", `/task_templates?project=${p.gid}`);
      for (const t of await read("tasks", `/tasks?project=${p.gid}`)) tasks.set(t.gid as string, t);
    }
    // Subtasks, recursively, only below tasks that have some.
    const queue = [...tasks.values()];
    const everyTask = new Map(tasks);
    for (let i = 0; i < queue.length && i < 100_000; i++) {
      const t = queue[i]!;
      if ((t.num_subtasks as number) === 0) continue;
      for (const sub of await read("subtasks", `/tasks/${t.gid}/subtasks`)) {
        if (everyTask.has(sub.gid as string)) continue;
        everyTask.set(sub.gid as string, sub);
        queue.push(sub);
      }
    }
    for (const gid of everyTask.keys()) {
      await read("stories", `/tasks/${gid}/stories`);
      await read("attachments", `/attachments?parent=${gid}`);
    }

    const minimal = sim.dataset.minimalRequests();
    expect(byStream).toEqual(minimal.byStream);
    const total = Object.values(byStream).reduce((a, b) => a + b, 0);
    expect(total).toBe(minimal.total);
    expect(sim.stats().total).toBe(minimal.total);
    expect(sim.stats().byStatus).toEqual({ "200": minimal.total - 1, "403": 1 });

    for (const stream of STREAM_NAMES) {
      const truth = [...sim.dataset.groundTruth(stream)];
      const expected = new Map(truth.map((r) => [`${r.portfolio_gid === undefined ? "" : `${r.portfolio_gid as string}:`}${r.gid as string}`, r]));
      expect(found[stream].size, stream).toBe(expected.size);
      for (const [gid, record] of expected) expect(found[stream].get(gid), `${stream} ${gid}`).toEqual(record);
    }
  });
});

// -----------------------------------------------------------------------------------------------

describe.skipIf(!existsSync(OAS_PATH))("fields.ts", () => {
  it("is what gen-fields.ts derives from ../shared/asana/asana_oas.yaml", () => {
    const committed = readFileSync(join(ROOT, "integration_tests", "simulator", "fields.ts"), "utf8");
    expect(generateFieldsSource(readFileSync(OAS_PATH, "utf8"))).toBe(committed);
  });

  it("lists the same top-level fields as schemas/<stream>.json", () => {
    for (const stream of STREAM_NAMES) {
      const schemaPath = join(ROOT, "schemas", `${stream}.json`);
      if (!existsSync(schemaPath)) continue;
      const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as { properties: Record<string, unknown> };
      // The connector's own markers (_ab_cdc_deleted_at on tombstones) are not API fields.
      const apiFields = Object.keys(schema.properties).filter((k) => !k.startsWith("_ab_") && !(stream === "portfolio_items" && k === "portfolio_gid"));
      expect(Object.keys(RECORD_FIELDS[stream]), stream).toEqual(apiFields);
    }
  });
});
