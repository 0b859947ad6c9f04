/**
 * All 24 streams on the medium dataset, with a personal access token and with a service-account
 * token: every stream equals the simulator's ground truth for that token (a personal token lists
 * the portfolios it owns and may not read the audit log, which is skipped with one WARN saying what
 * it needs; a service account lists every portfolio and reads the audit log), every record
 * validates against its schema, and the sync spends exactly the minimal number of requests (each
 * parent page once, no detail GETs, no subtasks request for tasks without subtasks, the audit log's
 * empty last page once). An incremental sync of the audit log reads only the events added since.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsImport from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STREAM_NAMES, type Simulator, type StreamName, type Viewer, startSimulator } from "../../integration_tests/simulator/index.js";
import { type CliResult, catalogFor, credentialsConfig, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { ROOT } from "../helpers/shared.js";
import { stateFileOf } from "../helpers/sync.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

let sim: Simulator;
let dir: string;
let config: string;
let serviceConfig: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, size: "medium" });
  dir = tempDir();
  config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token, { num_workers: 16 }));
  const service = { option_title: "Service Account Credentials", service_account_token: sim.serviceAccountToken };
  serviceConfig = writeJson(dir, "service.json", credentialsConfig(sim.baseUrl, service, { num_workers: 16 }));
});

afterAll(async () => {
  await sim?.close();
});

function validatorFor(stream: string): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(resolve(ROOT, "schemas", `${stream}.json`), "utf8")) as object);
}

/** A record's primary key as text: portfolio items are keyed by [portfolio_gid, gid], the rest by gid. */
function keyOf(stream: string, record: Record<string, unknown>): string {
  return stream === "portfolio_items" ? `${String(record.portfolio_gid)}/${String(record.gid)}` : String(record.gid);
}

/** The single-object route of a stream's records; streams Asana only lists have none. */
const SINGLE_GET: Readonly<Partial<Record<StreamName, string>>> = {
  workspaces: "workspaces", users: "users", teams: "teams", team_memberships: "team_memberships",
  workspace_memberships: "workspace_memberships", projects: "projects", sections: "sections", tasks: "tasks",
  subtasks: "tasks", tags: "tags", stories: "stories", attachments: "attachments", project_templates: "project_templates",
  status_updates: "status_updates", webhooks: "webhooks", custom_fields: "custom_fields", task_templates: "task_templates",
  portfolios: "portfolios", goals: "goals", goal_relationships: "goal_relationships", time_periods: "time_periods",
};

function expectGroundTruth(result: CliResult, stream: StreamName, viewer: Viewer): void {
  const actual = recordsOf(result.messages, stream);
  const expected = [...sim.dataset.groundTruth(stream, viewer)];
  if (stream !== "audit_log_events" || viewer === "service_account") expect(expected.length).toBeGreaterThan(0);
  const keys = actual.map((r) => keyOf(stream, r));
  expect(new Set(keys).size, "no duplicate key").toBe(keys.length);
  const expectedByKey = new Map(expected.map((r) => [keyOf(stream, r), r]));
  expect(keys.filter((k) => !expectedByKey.has(k)), "no unexpected key").toEqual([]);
  const seen = new Set(keys);
  expect([...expectedByKey.keys()].filter((k) => !seen.has(k)), "no missing key").toEqual([]);
  for (const record of actual) expect(record).toEqual(expectedByKey.get(keyOf(stream, record)));
  const validate = validatorFor(stream);
  const invalid = actual.filter((r) => !validate(r)).slice(0, 3);
  expect(invalid, JSON.stringify(validate.errors)).toEqual([]);
}

function printFigures(label: string, result: CliResult, stats: ReturnType<Simulator["stats"]>, viewer: Viewer): void {
  const minimal = sim.dataset.minimalRequests(viewer);
  const rows = STREAM_NAMES.map((s) => `${s}=${recordsOf(result.messages, s).length}`).join(" ");
  console.log(`${label}: requests ${stats.total}, minimal ${minimal.total}; records ${rows}`);
}

describe("a full sync of every stream with a personal access token (medium dataset)", () => {
  let result: CliResult;
  let stats: ReturnType<Simulator["stats"]>;

  beforeAll(async () => {
    sim.resetStats();
    result = await runAirbyte(["read", "--config", config, "--catalog", writeJson(dir, "all.json", catalogFor([...STREAM_NAMES]))]);
    stats = sim.stats();
    printFigures("personal token", result, stats, "personal");
  }, 180_000);

  it("succeeds", () => {
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it.each([...STREAM_NAMES])("%s equals the ground truth and validates against its schema", (stream) => {
    expectGroundTruth(result, stream, "personal");
  });

  it.each(STREAM_NAMES.filter((s) => SINGLE_GET[s] !== undefined))("%s: list records equal single-object GETs, nested sub-fields included", async (stream) => {
    const sample = recordsOf(result.messages, stream).filter((_, i) => i % 97 === 0).slice(0, 8);
    expect(sample.length).toBeGreaterThan(0);
    for (const record of sample) {
      const response = await fetch(`${sim.baseUrl}/${SINGLE_GET[stream]!}/${String(record.gid)}`, { headers: { Authorization: `Bearer ${sim.token}` } });
      expect(response.status).toBe(200);
      const { data } = (await response.json()) as { data: Record<string, unknown> };
      expect(record, `${stream} ${String(record.gid)}`).toEqual(data);
    }
  });

  it("skips the audit log with one WARN that says what it needs", () => {
    const warnings = result.messages.filter((m) => m.type === "LOG" && m.log!.level === "WARN").map((m) => m.log!.message);
    const audit = warnings.filter((w) => w.includes("audit_log_events"));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatch(/Service Account Credentials of an Enterprise\+ organization.*HTTP 403/);
    expect(warnings).toEqual(audit);
  });

  it("spends exactly the minimal number of requests (the audit log's one 403 included)", () => {
    const minimal = sim.dataset.minimalRequests("personal");
    const organizations = sim.dataset.structure.workspaces.filter((w) => w.organization).length;
    expect(stats.byStatus).toEqual({ "200": minimal.total - organizations, "403": organizations });
    expect(stats.total).toBe(minimal.total);
  });
});

describe("a full sync of every stream with a service-account token (medium dataset)", () => {
  let result: CliResult;
  let stats: ReturnType<Simulator["stats"]>;

  beforeAll(async () => {
    sim.resetStats();
    result = await runAirbyte(["read", "--config", serviceConfig, "--catalog", writeJson(dir, "all-service.json", catalogFor([...STREAM_NAMES]))]);
    stats = sim.stats();
    printFigures("service account", result, stats, "service_account");
  }, 180_000);

  it("succeeds without a warning", () => {
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.messages.filter((m) => m.type === "LOG" && m.log!.level === "WARN")).toEqual([]);
  });

  it.each([...STREAM_NAMES])("%s equals the ground truth and validates against its schema", (stream) => {
    expectGroundTruth(result, stream, "service_account");
  });

  it("lists more portfolios than the personal token, nested ones included", () => {
    const items = recordsOf(result.messages, "portfolio_items");
    expect(recordsOf(result.messages, "portfolios").length).toBeGreaterThan([...sim.dataset.groundTruth("portfolios", "personal")].length);
    expect(items.some((i) => i.resource_type === "portfolio")).toBe(true);
    // A project in several portfolios is one item per portfolio.
    const byProject = new Map<string, number>();
    for (const i of items) byProject.set(String(i.gid), (byProject.get(String(i.gid)) ?? 0) + 1);
    expect([...byProject.values()].some((n) => n > 1)).toBe(true);
  });

  it("spends exactly the minimal number of requests (the audit log's empty last page once)", () => {
    const minimal = sim.dataset.minimalRequests("service_account");
    expect(stats.byStatus["200"]).toBe(stats.total);
    expect(stats.total).toBe(minimal.total);
    expect(stats.byRoute["GET /workspaces/{gid}/audit_log_events"]).toBe(minimal.byStream.audit_log_events);
  });
});

describe("an incremental sync of the audit log", () => {
  it("reads only the events added since the last sync, from start_at", async () => {
    const catalog = writeJson(dir, "audit.json", catalogFor(["audit_log_events"], "incremental"));
    const first = await runAirbyte(["read", "--config", serviceConfig, "--catalog", catalog]);
    expect(first.code).toBe(0);
    const everything = recordsOf(first.messages, "audit_log_events");
    expect(everything).toHaveLength([...sim.dataset.groundTruth("audit_log_events", "service_account")].length);

    const before = new Set(everything.map((e) => String(e.gid)));
    sim.mutate({ deleteTasks: 2, createTasks: 3, addAttachments: 2, seed: 11 });
    const added = [...sim.dataset.groundTruth("audit_log_events", "service_account")].filter((e) => !before.has(String(e.gid)));
    expect(added.length).toBeGreaterThan(0);

    sim.resetStats();
    const state = writeJson(dir, "audit-state.json", stateFileOf(first.messages));
    const second = await runAirbyte(["read", "--config", serviceConfig, "--catalog", catalog, "--state", state]);
    expect(second.code).toBe(0);
    expect(recordsOf(second.messages, "audit_log_events")).toEqual(added);
    // One page of new events, then the empty page that ends the listing; every request names start_at.
    expect(sim.stats().byRoute).toEqual({ "GET /workspaces": 1, "GET /workspaces/{gid}/audit_log_events": 2 });
  }, 120_000);
});

describe("shared parent reads", () => {
  it("reads an unselected parent once for several children", async () => {
    sim.resetStats();
    const result = await runAirbyte([
      "read",
      "--config",
      config,
      "--catalog",
      writeJson(dir, "children.json", catalogFor(["sections", "tasks", "status_updates", "custom_field_settings", "task_templates"])),
    ]);
    expect(result.code).toBe(0);
    expect(recordsOf(result.messages, "projects")).toEqual([]);
    expect(recordsOf(result.messages, "portfolios")).toEqual([]);
    const byRoute = sim.stats().byRoute;
    const minimal = sim.dataset.minimalRequests().byStream;
    expect(byRoute["GET /projects"]).toBe(minimal.projects);
    expect(byRoute["GET /portfolios"]).toBe(minimal.portfolios);
    expect(byRoute["GET /workspaces"]).toBe(1);
    expect(byRoute["GET /tasks"]).toBe(minimal.tasks);
  });

  it("asks only for the selected fields when the catalog narrows a stream's schema", async () => {
    const narrowed = {
      streams: [
        {
          stream: {
            name: "projects",
            json_schema: { type: "object", properties: { gid: { type: "string" }, name: { type: "string" } } },
            supported_sync_modes: ["full_refresh"],
          },
          sync_mode: "full_refresh",
          destination_sync_mode: "overwrite",
        },
      ],
    };
    const result = await runAirbyte(["read", "--config", config, "--catalog", writeJson(dir, "narrow.json", narrowed)]);
    expect(result.code).toBe(0);
    const projects = recordsOf(result.messages, "projects");
    expect(projects.length).toBeGreaterThan(0);
    for (const p of projects) expect(Object.keys(p).sort()).toEqual(["gid", "name"]);
  });
});
