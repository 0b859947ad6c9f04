/**
 * Scoping a sync (the config's `workspaces`, `teams`, `projects` and `include_archived_projects`):
 * each filter narrows its stream and everything below it, with no request for what it leaves
 * out; the default config sends no `archived` parameter; a value that names nothing is a
 * config_error at check and at read (before any record below it); and incremental state survives
 * a change of scope (narrowing keeps the positions of what remains, widening reads the new
 * projects in full and the others incrementally).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { type AirbyteMessage, type CliResult, catalogFor, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type RecordingProxy, startRecordingProxy } from "../helpers/recording-proxy.js";
import { mixedCatalog, stateFileOf } from "../helpers/sync.js";

type Row = Record<string, unknown>;

const STREAMS = [
  "workspaces", "users", "teams", "team_memberships", "projects", "sections", "tasks", "subtasks", "stories",
  "status_updates", "tags", "portfolios", "goals",
];

let sim: Simulator;
let proxy: RecordingProxy;
let dir: string;
let catalog: string;
let organization: Row;
let personal: Row;
let projects: Row[];

beforeAll(async () => {
  sim = await startSimulator({ seed: 7, size: "small" });
  proxy = await startRecordingProxy(sim.baseUrl);
  dir = tempDir("source-asana-scope-");
  catalog = writeJson(dir, "catalog.json", catalogFor(STREAMS));
  const workspaces = [...sim.dataset.groundTruth("workspaces")];
  organization = workspaces.find((w) => w.is_organization === true)!;
  personal = workspaces.find((w) => w.is_organization === false)!;
  projects = [...sim.dataset.groundTruth("projects")];
});

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
});

const gidOf = (value: unknown): string | undefined => (value && typeof value === "object" ? String((value as Row).gid) : undefined);
const gids = (rows: Row[]): string[] => rows.map((r) => String(r.gid)).sort();
const truth = (stream: string): Row[] => [...sim.dataset.groundTruth(stream as never)];
const archivedProjects = (): Row[] => projects.filter((p) => p.archived === true);

interface Run extends CliResult {
  urls: string[];
  requests: number;
}

let runs = 0;
/** `read` (or another command) through the recording proxy with the config's scope settings. */
async function airbyte(command: string, scope: Row, extraArgs: string[] = []): Promise<Run> {
  const config = writeJson(dir, `config-${++runs}.json`, patConfig(proxy.baseUrl, sim.token, scope));
  proxy.urls.length = 0;
  sim.resetStats();
  const args = command === "read" ? ["read", "--config", config, "--catalog", catalog, ...extraArgs] : [command, "--config", config, ...extraArgs];
  const result = await runAirbyte(args);
  return { ...result, urls: [...proxy.urls], requests: sim.stats().total };
}

function errorsOf(messages: AirbyteMessage[]): Array<{ message: string; failure_type: string }> {
  return messages.filter((m) => m.type === "TRACE" && m.trace!.type === "ERROR").map((m) => m.trace!.error!);
}

describe("the default scope", () => {
  let full: Run;
  beforeAll(async () => {
    full = await airbyte("read", {});
    expect(full.code, full.stderr).toBe(0);
  }, 120_000);

  it("reads everything, archived projects and their tasks included, and sends no archived parameter", () => {
    expect(gids(recordsOf(full.messages, "projects"))).toEqual(gids(projects));
    expect(archivedProjects().length).toBeGreaterThan(0);
    const tasks = recordsOf(full.messages, "tasks");
    for (const archived of archivedProjects()) {
      expect(tasks.some((t) => (t.projects as Row[]).some((p) => p.gid === archived.gid)), `tasks of ${String(archived.gid)}`).toBe(true);
    }
    const listings = full.urls.filter((u) => u.includes("/projects?"));
    expect(listings.length).toBeGreaterThan(0);
    for (const url of listings) expect(new URL(url, "http://x").searchParams.has("archived"), url).toBe(false);
  });

  describe("include_archived_projects: false", () => {
    let scoped: Run;
    beforeAll(async () => {
      scoped = await airbyte("read", { include_archived_projects: false });
      expect(scoped.code, scoped.stderr).toBe(0);
    }, 120_000);

    it("asks Asana for unarchived projects only, and spends no request inside an archived one", () => {
      for (const url of scoped.urls.filter((u) => u.includes("/projects?"))) {
        expect(new URL(url, "http://x").searchParams.get("archived"), url).toBe("false");
      }
      expect(gids(recordsOf(scoped.messages, "projects"))).toEqual(gids(projects.filter((p) => p.archived !== true)));
      const archived = new Set(archivedProjects().map((p) => String(p.gid)));
      for (const url of scoped.urls) for (const gid of archived) expect(url, "a request inside an archived project").not.toContain(gid);
      for (const task of recordsOf(scoped.messages, "tasks")) {
        expect((task.projects as Row[]).every((p) => archived.has(String(p.gid))), `task ${String(task.gid)}`).toBe(false);
      }
      expect(scoped.requests).toBeLessThan(full.requests);
    });
  });

  describe("workspaces", () => {
    it("by exact name: only that workspace and what is in it", async () => {
      const run = await airbyte("read", { workspaces: [personal.name] });
      expect(run.code, run.stderr).toBe(0);
      expect(gids(recordsOf(run.messages, "workspaces"))).toEqual([String(personal.gid)]);
      expect(recordsOf(run.messages, "teams")).toEqual([]);
      expect(gids(recordsOf(run.messages, "projects"))).toEqual(gids(projects.filter((p) => gidOf(p.workspace) === personal.gid)));
      const tasks = recordsOf(run.messages, "tasks");
      expect(tasks.length).toBeGreaterThan(0);
      for (const stream of ["tasks", "tags", "portfolios", "goals"]) {
        for (const record of recordsOf(run.messages, stream)) expect(gidOf(record.workspace), `${stream} ${String(record.gid)}`).toBe(personal.gid);
      }
      // Nothing is asked of the other workspace.
      for (const url of run.urls) expect(url).not.toContain(String(organization.gid));
      expect(run.requests).toBeLessThan(full.requests);
    }, 120_000);

    it("by gid: the organization, with its teams and memberships", async () => {
      const run = await airbyte("read", { workspaces: [String(organization.gid)] });
      expect(run.code, run.stderr).toBe(0);
      expect(gids(recordsOf(run.messages, "workspaces"))).toEqual([String(organization.gid)]);
      expect(gids(recordsOf(run.messages, "teams"))).toEqual(gids(truth("teams")));
      expect(gids(recordsOf(run.messages, "projects"))).toEqual(gids(projects.filter((p) => gidOf(p.workspace) === organization.gid)));
      for (const url of run.urls) expect(url).not.toContain(String(personal.gid));
    }, 120_000);
  });

  it("a workspace name matches even when the catalog does not select the name column (Asana always sends it)", async () => {
    const narrow = writeJson(dir, "narrow.json", {
      streams: [
        {
          stream: { name: "workspaces", json_schema: { type: "object", properties: { gid: { type: "string" } } }, supported_sync_modes: ["full_refresh"] },
          sync_mode: "full_refresh",
          destination_sync_mode: "overwrite",
        },
      ],
    });
    const config = writeJson(dir, `config-${++runs}.json`, patConfig(proxy.baseUrl, sim.token, { workspaces: [personal.name] }));
    const narrowed = await runAirbyte(["read", "--config", config, "--catalog", narrow]);
    expect(narrowed.code, narrowed.stderr).toBe(0);
    expect(gids(recordsOf(narrowed.messages, "workspaces"))).toEqual([String(personal.gid)]);
  }, 120_000);

  it("teams: a catalog that deselects the projects' team column still gets the team's projects", async () => {
    const team = gidOf(archivedProjects()[0]!.team)!;
    const narrow = writeJson(dir, "narrow-projects.json", {
      streams: [
        {
          stream: { name: "projects", json_schema: { type: "object", properties: { gid: { type: "string" }, name: { type: ["string", "null"] } } }, supported_sync_modes: ["full_refresh"] },
          sync_mode: "full_refresh",
          destination_sync_mode: "overwrite",
        },
      ],
    });
    const config = writeJson(dir, `config-${++runs}.json`, patConfig(proxy.baseUrl, sim.token, { teams: [team] }));
    const narrowed = await runAirbyte(["read", "--config", config, "--catalog", narrow]);
    expect(narrowed.code, narrowed.stderr).toBe(0);
    expect(gids(recordsOf(narrowed.messages, "projects"))).toEqual(gids(projects.filter((p) => gidOf(p.team) === team)));
  }, 120_000);

  it("teams: only those teams, their memberships and their projects", async () => {
    // The team of the archived project: its projects include an archived one.
    const team = gidOf(archivedProjects()[0]!.team)!;
    const run = await airbyte("read", { teams: [team] });
    expect(run.code, run.stderr).toBe(0);
    expect(gids(recordsOf(run.messages, "teams"))).toEqual([team]);
    const memberships = recordsOf(run.messages, "team_memberships");
    expect(memberships.length).toBeGreaterThan(0);
    for (const m of memberships) expect(gidOf(m.team)).toBe(team);
    const kept = projects.filter((p) => gidOf(p.team) === team);
    expect(gids(recordsOf(run.messages, "projects"))).toEqual(gids(kept));
    const keptGids = new Set(kept.map((p) => String(p.gid)));
    for (const task of recordsOf(run.messages, "tasks")) {
      expect((task.projects as Row[]).some((p) => keptGids.has(String(p.gid))), `task ${String(task.gid)}`).toBe(true);
    }
    for (const other of projects.filter((p) => !keptGids.has(String(p.gid)))) {
      for (const url of run.urls) expect(url, "a request about a project out of scope").not.toContain(String(other.gid));
    }
    expect(run.requests).toBeLessThan(full.requests);
  }, 120_000);

  it("projects: only those projects and what is in them", async () => {
    const chosen = projects.filter((p) => p.archived !== true).slice(0, 2).map((p) => String(p.gid));
    const run = await airbyte("read", { projects: chosen });
    expect(run.code, run.stderr).toBe(0);
    expect(gids(recordsOf(run.messages, "projects"))).toEqual([...chosen].sort());
    const expectedTasks = truth("tasks").filter((t) => (t.projects as Row[]).some((p) => chosen.includes(String(p.gid))));
    expect(gids(recordsOf(run.messages, "tasks"))).toEqual(gids(expectedTasks));
    for (const section of recordsOf(run.messages, "sections")) expect(chosen).toContain(gidOf(section.project));
    for (const other of projects.filter((p) => !chosen.includes(String(p.gid)))) {
      for (const url of run.urls) expect(url, "a request about a project out of scope").not.toContain(String(other.gid));
    }
    expect(run.requests).toBeLessThan(full.requests);
  }, 120_000);
});

describe("a value that names nothing", () => {
  const PROJECT_LEVEL = ["sections", "tasks", "subtasks", "stories", "status_updates"];
  // The value, how the error names it, and the streams below the refused one.
  const cases: Array<[string, Row, string, string[]]> = [
    ["a workspace name", { workspaces: ["Initech Incorporated"] }, '"Initech Incorporated"', STREAMS],
    ["a team gid", { teams: ["1270300000009999"] }, '"1270300000009999"', ["team_memberships"]],
    ["a project gid", { projects: ["1270600000009999"] }, '"1270600000009999"', PROJECT_LEVEL],
  ];

  it.each(cases)("%s fails check with a message naming the value", async (_what, scope, named, _below) => {
    const run = await airbyte("check", scope);
    expect(run.code, run.stderr).toBe(0);
    const status = run.messages.find((m) => m.type === "CONNECTION_STATUS")!.connectionStatus!;
    expect(status.status).toBe("FAILED");
    expect(status.message).toContain(named);
    expect(status.message).toMatch(/matches no record/);
  }, 60_000);

  it.each(cases)("%s fails read with a config_error, before any record below it", async (_what, scope, named, below) => {
    const run = await airbyte("read", scope);
    expect(run.code).not.toBe(0);
    const errors = errorsOf(run.messages);
    expect(errors.map((e) => e.failure_type)).toContain("config_error");
    expect(errors.find((e) => e.failure_type === "config_error")!.message).toContain(named);
    // Nothing below the refused stream, nor off its path, is emitted or reported complete.
    for (const stream of below) if (stream !== "workspaces") expect(recordsOf(run.messages, stream), stream).toEqual([]);
    for (const stream of ["users", "tags", "portfolios", "goals"]) expect(recordsOf(run.messages, stream), stream).toEqual([]);
    const complete = run.messages.filter((m) => m.type === "TRACE" && m.trace!.stream_status?.status === "COMPLETE");
    for (const m of complete) expect(below).not.toContain(m.trace!.stream_status!.stream_descriptor.name);
    expect(run.lines.join("\n")).not.toContain(sim.token);
  }, 60_000);

  it("also when only one of several values names nothing, naming just that one", async () => {
    const run = await airbyte("read", { workspaces: [String(personal.gid), "No such workspace"] });
    expect(run.code).not.toBe(0);
    const error = errorsOf(run.messages).find((e) => e.failure_type === "config_error")!;
    expect(error.message).toContain('"No such workspace"');
    expect(error.message).not.toContain(String(personal.gid));
  }, 60_000);
});

describe("state across a change of scope", () => {
  const INCREMENTAL = ["projects", "tasks"];
  let live: Row[];
  let stateCatalog: string;

  beforeAll(() => {
    live = projects.filter((p) => p.archived !== true && gidOf(p.workspace) === organization.gid);
    stateCatalog = writeJson(dir, "incremental.json", mixedCatalog(INCREMENTAL));
  });

  async function read(scope: Row, state?: unknown[]): Promise<Run> {
    const extra = state ? ["--state", writeJson(dir, `state-${++runs}.json`, state)] : [];
    const config = writeJson(dir, `config-${++runs}.json`, patConfig(proxy.baseUrl, sim.token, scope));
    proxy.urls.length = 0;
    sim.resetStats();
    const result = await runAirbyte(["read", "--config", config, "--catalog", stateCatalog, ...extra]);
    expect(result.code, result.stderr).toBe(0);
    return { ...result, urls: [...proxy.urls], requests: sim.stats().total };
  }

  const tasksOf = (projectGids: string[]): string[] =>
    gids(truth("tasks").filter((t) => (t.projects as Row[]).some((p) => projectGids.includes(String(p.gid)))));
  const partitionsOf = (messages: AirbyteMessage[]): string[] => {
    const state = stateFileOf(messages).find((s) => (s as { stream: { stream_descriptor: { name: string } } }).stream.stream_descriptor.name === "tasks") as
      | { stream: { stream_state: { states?: Array<{ partition: Row }> } } }
      | undefined;
    return (state?.stream.stream_state.states ?? []).map((s) => String(s.partition.project_gid)).sort();
  };

  it("narrowing keeps the positions of what remains; widening reads new projects in full, the others incrementally", async () => {
    const [a, b, c] = live.map((p) => String(p.gid));
    expect(c, "the small dataset has three unarchived projects in the organization").toBeDefined();
    const first = await read({ projects: [a, b] });
    expect(gids(recordsOf(first.messages, "tasks"))).toEqual(tasksOf([a!, b!]));
    expect(partitionsOf(first.messages)).toEqual([a, b].sort());

    // Narrowed to A: nothing changed, so nothing is emitted again. A keeps its position, and so
    // does B, left out (widened again later, it goes on from there).
    const narrowed = await read({ projects: [a] }, stateFileOf(first.messages));
    expect(recordsOf(narrowed.messages, "tasks")).toEqual([]);
    expect(partitionsOf(narrowed.messages)).toEqual([a, b].sort());
    for (const url of narrowed.urls) expect(url).not.toContain(`/projects/${b!}`);

    // Widened to A and C: C is new (read in full), A goes on from its position.
    const widened = await read({ projects: [a, c] }, stateFileOf(narrowed.messages));
    expect(gids(recordsOf(widened.messages, "tasks"))).toEqual(tasksOf([c!]));
    expect(partitionsOf(widened.messages)).toEqual(expect.arrayContaining([a, c]));
  }, 180_000);
});
