/**
 * The simulator's record shapes (integration_tests/simulator/projection.ts, records.ts): nested
 * resources compact unless dotted opt_fields ask for sub-fields, the full record of a
 * single-object GET (nested objects to level 2, deeper resources compact) equal to a list record
 * naming every path, 400 for unknown sub-fields, real Asana's nulls (also in fields the spec calls
 * non-nullable), enum values the spec does not list, and custom fields with values.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiRecord, Dataset } from "../integration_tests/simulator/dataset.js";
import { RECORD_FIELDS, STREAM_NAMES, type StreamName } from "../integration_tests/simulator/fields.js";
import { KIND } from "../integration_tests/simulator/gids.js";
import { fullRecordPaths, NULL_RATE, type Simulator, STRUCTURAL_FIELDS, startSimulator, UNLISTED_RATE } from "../integration_tests/simulator/index.js";

type Body = { data?: unknown; next_page?: { uri: string } | null; errors?: { message: string }[] };

async function get(sim: Simulator, path: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${sim.baseUrl}${path}`, { headers: { Authorization: `Bearer ${sim.token}` } });
  return { status: res.status, body: (await res.json()) as Body };
}

async function list(sim: Simulator, path: string): Promise<ApiRecord[]> {
  const { status, body } = await get(sim, path);
  if (status !== 200) throw new Error(`${path}: HTTP ${status} ${JSON.stringify(body)}`);
  return body.data as ApiRecord[];
}

async function single(sim: Simulator, path: string): Promise<ApiRecord> {
  const { status, body } = await get(sim, path);
  if (status !== 200) throw new Error(`${path}: HTTP ${status} ${JSON.stringify(body)}`);
  return body.data as ApiRecord;
}

const asList = (value: unknown): ApiRecord[] => (value ?? []) as ApiRecord[];
const gidOf = (value: unknown): string => (value as { gid: string }).gid;

/**
 * The single-object route of each stream that has one (custom field settings, portfolio items and
 * audit log events have none: Asana lists them only).
 */
const GET_PATH: Readonly<Partial<Record<StreamName, string>>> = {
  workspaces: "/workspaces",
  users: "/users",
  teams: "/teams",
  team_memberships: "/team_memberships",
  workspace_memberships: "/workspace_memberships",
  projects: "/projects",
  sections: "/sections",
  tasks: "/tasks",
  subtasks: "/tasks",
  tags: "/tags",
  stories: "/stories",
  attachments: "/attachments",
  project_templates: "/project_templates",
  status_updates: "/status_updates",
  webhooks: "/webhooks",
  custom_fields: "/custom_fields",
  task_templates: "/task_templates",
  portfolios: "/portfolios",
  goals: "/goals",
  goal_relationships: "/goal_relationships",
  time_periods: "/time_periods",
};

const COMPACT_USER = { gid: expect.any(String), resource_type: "user" };

describe("nested fields over HTTP (seed 1, medium)", () => {
  let sim: Simulator;
  /** An organization project whose tasks have custom fields, and its tasks' full records. */
  let projectGid: string;
  let truth: Map<string, ApiRecord>;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 1, size: "medium" });
    const d = sim.dataset;
    const project = d.structure.projects.find((p) => p.workspace === 0 && p.tasks.length >= 20 && d.facts.customFieldSettings(p.index).length >= 3)!;
    projectGid = d.gids.encode(KIND.project, project.index);
    truth = new Map(d.listTasks({ project: project.index }).map((gid) => [gid, d.fullRecord(gid)!]));
  });
  afterAll(async () => {
    await sim.close();
  });

  it("returns nested resources as {gid, resource_type} when no sub-field is asked for; other objects keep their keys", async () => {
    const tasks = await list(sim, `/tasks?project=${projectGid}&limit=100&opt_fields=assignee,memberships,custom_fields,workspace,likes,external`);
    expect(tasks.length).toBe(truth.size);
    for (const t of tasks) {
      expect(Object.keys(t)).toEqual(["gid", "external", "likes", "memberships", "assignee", "custom_fields", "workspace"]);
      if (t.assignee !== null) expect(t.assignee).toEqual(COMPACT_USER);
      expect(t.workspace).toEqual({ gid: expect.any(String), resource_type: "workspace" });
      for (const m of asList(t.memberships)) {
        // {project, section} is no resource: both keys stay, the resources in it are compact.
        expect(m).toEqual({ project: { gid: expect.any(String), resource_type: "project" }, section: { gid: expect.any(String), resource_type: "section" } });
      }
      for (const c of asList(t.custom_fields)) expect(c).toEqual({ gid: expect.any(String), resource_type: "custom_field" });
      for (const like of asList(t.likes)) expect(like).toEqual({ gid: expect.any(String), user: COMPACT_USER });
      if (t.external !== null) expect(t.external).toEqual(truth.get(t.gid as string)!.external);
    }
    expect(tasks.some((t) => asList(t.custom_fields).length > 0)).toBe(true);
  });

  it("adds the sub-fields of dotted paths at depth 1, 2 and 3, each shaped by the same rule", async () => {
    const paths = "assignee.name,memberships.section.name,custom_fields.enum_value.name,custom_fields.display_value,custom_fields.people_value";
    const tasks = await list(sim, `/tasks?project=${projectGid}&limit=100&opt_fields=${paths}`);
    let enums = 0;
    for (const t of tasks) {
      const full = truth.get(t.gid as string)!;
      expect(Object.keys(t)).toEqual(["gid", "memberships", "assignee", "custom_fields"]);
      if (t.assignee !== null) expect(t.assignee).toEqual({ gid: gidOf(full.assignee), resource_type: "user", name: (full.assignee as ApiRecord).name });
      expect(t.memberships).toEqual(
        asList(full.memberships).map((m) => ({
          project: { gid: gidOf(m.project), resource_type: "project" },
          section: { gid: gidOf(m.section), resource_type: "section", name: (m.section as ApiRecord).name },
        })),
      );
      if (full.custom_fields === null) continue;
      expect(t.custom_fields).toEqual(
        asList(full.custom_fields).map((c) => {
          const enumValue = c.enum_value as ApiRecord | null;
          return {
            gid: c.gid,
            resource_type: "custom_field",
            enum_value: enumValue === null ? null : { gid: enumValue.gid, resource_type: "enum_option", name: enumValue.name },
            display_value: c.display_value,
            people_value: c.people_value === null ? null : asList(c.people_value).map((u) => ({ gid: u.gid, resource_type: "user" })),
          };
        }),
      );
      enums += asList(t.custom_fields).filter((c) => c.enum_value !== null).length;
    }
    expect(enums).toBeGreaterThan(0);

    // Depth 3, below an object of level 3 (opaque in the spec): whatever the dataset knows.
    const project = await single(sim, `/projects/${projectGid}?opt_fields=custom_field_settings.custom_field.enum_options.name,custom_field_settings.custom_field.created_by.name`);
    const settings = asList(project.custom_field_settings);
    expect(settings.length).toBeGreaterThanOrEqual(3);
    for (const s of settings) {
      expect(Object.keys(s)).toEqual(["gid", "resource_type", "custom_field"]);
      const field = s.custom_field as ApiRecord;
      expect(Object.keys(field)).toEqual(["gid", "resource_type", "enum_options", "created_by"]);
      expect(field.created_by).toEqual({ ...COMPACT_USER, name: expect.any(String) });
      for (const o of asList(field.enum_options)) expect(o).toEqual({ gid: expect.any(String), resource_type: "enum_option", name: expect.any(String) });
    }
    expect(settings.some((s) => asList((s.custom_field as ApiRecord).enum_options).length > 0)).toBe(true);
  });

  it("answers 400 for a sub-field the nested object's spec does not know, like for an unknown top-level field", async () => {
    const cases: [string, string][] = [
      ["assignee.email", 'opt_fields: Unknown field "email" for type user'],
      ["memberships.section.bogus", 'opt_fields: Unknown field "bogus" for type section'],
      ["custom_fields.enum_value.label", 'opt_fields: Unknown field "label" for type enum_option'],
      ["name.first", 'opt_fields: Unknown field "first" for type string'],
      ["bogus.name", 'opt_fields: Unknown field "bogus" for type task'],
    ];
    for (const [fields, message] of cases) {
      const res = await get(sim, `/tasks?project=${projectGid}&limit=5&opt_fields=gid,${fields}`);
      expect(res.status, fields).toBe(400);
      expect(res.body.errors?.[0]?.message, fields).toBe(message);
    }
    const taskGid = [...truth.keys()][0]!;
    expect((await get(sim, `/tasks/${taskGid}?opt_fields=assignee.email`)).status).toBe(400);
    // Below an opaque object (level 3) any sub-field is accepted; what the dataset does not know is left out.
    const res = await get(sim, `/projects/${projectGid}?opt_fields=custom_field_settings.custom_field.created_by.anything`);
    expect(res.status).toBe(200);
    for (const s of asList((res.body.data as ApiRecord).custom_field_settings)) expect((s.custom_field as ApiRecord).created_by).toEqual(COMPACT_USER);
  });

  it("GET without opt_fields returns the full record (the ground truth), equal to a list or GET naming every path", async () => {
    const d = sim.dataset;
    for (const stream of STREAM_NAMES) {
      if (GET_PATH[stream] === undefined) continue;
      const paths = fullRecordPaths(stream);
      const samples = [...d.groundTruth(stream)].filter((_, i) => i % 37 === 0).slice(0, 4);
      expect(samples.length, stream).toBeGreaterThan(0);
      for (const record of samples) {
        const path = `${GET_PATH[stream]}/${record.gid as string}`;
        expect(await single(sim, path), path).toEqual(record);
        expect(await single(sim, `${path}?opt_fields=${paths.join(",")}`), path).toEqual(record);
      }
    }
    const tasks = await list(sim, `/tasks?project=${projectGid}&limit=100&opt_fields=${fullRecordPaths("tasks").join(",")}`);
    for (const t of tasks) expect(t).toEqual(truth.get(t.gid as string));
  });

  it("describes nested objects to level 2 in the full record: deeper resources are compact", async () => {
    expect(fullRecordPaths("tasks")).toEqual(expect.arrayContaining(["name", "assignee.name", "memberships.section.name", "custom_fields.enum_value.name", "custom_fields.enum_options.color"]));
    for (const stream of STREAM_NAMES) for (const path of fullRecordPaths(stream)) expect(path.split(".").length, path).toBeLessThanOrEqual(3);
    const project = sim.dataset.fullRecord(projectGid)!;
    for (const s of asList(project.custom_field_settings)) {
      expect(s.project).toEqual({ gid: projectGid, resource_type: "project", name: expect.any(String) });
      const field = s.custom_field as ApiRecord;
      // custom_field is level 2: every CustomFieldResponse property; what is inside it (level 3) is compact.
      expect(Object.keys(field).sort()).toEqual(Object.keys(RECORD_FIELDS.tasks.custom_fields!.items!.properties!).sort());
      expect(field.created_by).toEqual(COMPACT_USER);
      for (const o of asList(field.enum_options)) expect(o).toEqual({ gid: expect.any(String), resource_type: "enum_option" });
    }
    for (const t of truth.values()) {
      for (const c of asList(t.custom_fields)) {
        // custom_fields items are level 1: their enum options (level 2) carry every EnumOption property.
        for (const o of asList(c.enum_options)) expect(Object.keys(o)).toEqual(["gid", "resource_type", "name", "enabled", "color"]);
        if (c.created_by !== null) expect(c.created_by).toEqual({ ...COMPACT_USER, name: expect.any(String) });
      }
    }
  });
});

describe("nulls, open vocabularies and custom fields (dataset seed 1, medium)", () => {
  const d = new Dataset(1, "medium");
  const truth = Object.fromEntries(STREAM_NAMES.map((s) => [s, [...d.groundTruth(s)]])) as Record<StreamName, ApiRecord[]>;
  const nonNullable = (stream: StreamName, field: string): boolean => RECORD_FIELDS[stream][field]!.nullable !== true;
  /** A stream's records, without the portfolio items that are portfolios (they have a portfolio's fields, not a project's). */
  const projectShaped = (stream: StreamName): ApiRecord[] => truth[stream].filter((r) => stream !== "portfolio_items" || r.resource_type !== "portfolio");

  it("sends null for every field the builder does not set, also where the spec says non-nullable", () => {
    for (const [stream, field] of [
      ["tasks", "approval_status"],
      ["projects", "team"],
      ["attachments", "size"],
      ["stories", "old_name"],
      ["stories", "sticker_name"],
      ["tasks", "external"],
    ] as const) {
      expect(nonNullable(stream, field), `${stream}.${field}`).toBe(true);
      expect(truth[stream].some((r) => r[field] === null), `${stream}.${field}`).toBe(true);
    }
    // Ordinary tasks have no approval status; projects of a personal workspace no team.
    for (const t of truth.tasks) if (t.resource_subtype !== "approval") expect(t.approval_status).toBeNull();
    for (const p of truth.projects) if (d.facts.project(d.find(KIND.project, p.gid as string)!).team < 0) expect(p.team).toBeNull();
    // Externally hosted attachments have no size.
    for (const a of truth.attachments) if (a.host !== null && a.host !== "asana") expect(a.size).toBeNull();
    expect(truth.attachments.some((a) => a.host !== null && a.host !== "asana")).toBe(true);
    // Per-subtype story fields are null on the other subtypes; unset webhook filter fields too.
    for (const s of truth.stories) if (s.resource_subtype === "comment_added") for (const f of ["old_dates", "new_dates", "old_section", "custom_field"]) expect(s[f]).toBeNull();
    for (const w of truth.webhooks) for (const f of asList(w.filters)) expect(f.resource_subtype).toBeNull();
  });

  it(`makes about ${NULL_RATE * 100} % of descriptive fields null from the seed, never the structural ones`, () => {
    let values = 0;
    let nulls = 0;
    // Fields the builder always sets: their nulls are the seeded ones.
    for (const field of ["name", "html_notes", "permalink_url", "followers", "hearted", "num_likes", "is_rendered_as_separator", "created_by"]) {
      for (const t of truth.tasks) {
        values++;
        if (t[field] === null) nulls++;
      }
    }
    expect(nulls / values).toBeGreaterThan(NULL_RATE * 0.6);
    expect(nulls / values).toBeLessThan(NULL_RATE * 1.4);
    for (const stream of STREAM_NAMES) {
      for (const field of ["gid", "resource_type", "created_at", "modified_at", ...STRUCTURAL_FIELDS[stream]]) {
        if (!(field in RECORD_FIELDS[stream])) continue;
        // The builder's own nulls are facts: a top-level task's parent, a personal project's team, a story's conditional `task`,
        // a fiscal year's parent period.
        if ((stream === "tasks" && field === "parent") || (stream === "projects" && field === "team") || (stream === "stories" && field === "task")) continue;
        if (stream === "time_periods" && field === "parent") continue;
        for (const r of projectShaped(stream)) expect(r[field], `${stream} ${r.gid as string} ${field}`).not.toBeNull();
      }
    }
    for (const t of truth.subtasks) expect(t.parent).not.toBeNull();
  });

  it(`gives enum fields a value the spec does not list about ${UNLISTED_RATE * 100} % of the time, never structural ones`, () => {
    let values = 0;
    const unlisted: string[] = [];
    for (const stream of STREAM_NAMES) {
      for (const [field, spec] of Object.entries(RECORD_FIELDS[stream])) {
        if (spec.enum === undefined) continue;
        for (const r of projectShaped(stream)) {
          const value = r[field];
          if (value === null || value === undefined) continue;
          values++;
          if (!spec.enum.includes(value as string)) {
            expect(STRUCTURAL_FIELDS[stream], `${stream}.${field}`).not.toContain(field);
            unlisted.push(value as string);
          }
        }
      }
    }
    expect(unlisted.length).toBeGreaterThan(0);
    for (const v of unlisted) expect(["none", "other", "unlisted_value"]).toContain(v);
    expect(unlisted.length / values).toBeGreaterThan(UNLISTED_RATE * 0.4);
    expect(unlisted.length / values).toBeLessThan(UNLISTED_RATE * 1.6);
    // Tag colours do not list "none": it is the unlisted value there.
    expect(truth.tags.some((t) => t.color === "none") || truth.projects.some((p) => p.color === "other")).toBe(true);
    for (const t of [...truth.tasks, ...truth.subtasks]) expect(RECORD_FIELDS.tasks.resource_subtype!.enum).toContain(t.resource_subtype);
  });

  it("gives every task of a project the custom fields of its projects, with values of each type", () => {
    const projects = new Map(truth.projects.map((p) => [p.gid as string, p]));
    const types = new Set<string>();
    let unset = 0;
    let checked = 0;
    for (const t of truth.tasks) {
      if (t.custom_fields === null) continue;
      // A seeded null custom_field_settings of a project says nothing about its tasks: skip those.
      const settings = asList(t.projects).map((p) => projects.get(gidOf(p))!.custom_field_settings);
      if (settings.some((s) => s === null)) continue;
      const expected: string[] = [];
      for (const s of settings.flatMap(asList)) if (!expected.includes(gidOf(s.custom_field))) expected.push(gidOf(s.custom_field));
      expect(asList(t.custom_fields).map((c) => c.gid)).toEqual(expected);
      checked++;
      for (const c of asList(t.custom_fields)) {
        const type = c.resource_subtype as string;
        expect(c.type).toBe(type);
        const valueFields = ["text_value", "number_value", "enum_value", "multi_enum_values", "date_value", "people_value"];
        const own: Record<string, string> = { text: "text_value", number: "number_value", enum: "enum_value", multi_enum: "multi_enum_values", date: "date_value", people: "people_value" };
        for (const f of valueFields) if (f !== own[type]) expect(c[f], `${c.name as string} ${f}`).toBeNull();
        const value = c[own[type]!];
        if (value === null) {
          unset++;
          expect(c.display_value).toBeNull();
          continue;
        }
        types.add(type);
        const options = asList(c.enum_options);
        switch (type) {
          case "text":
            expect(c.display_value).toBe(value);
            break;
          case "number":
            expect(c.display_value).toBe((value as number).toFixed(c.precision as number));
            break;
          case "enum":
            expect(options.map((o) => o.gid)).toContain(gidOf(value));
            expect(c.display_value).toBe((value as ApiRecord).name);
            break;
          case "multi_enum":
            expect(c.display_value).toBe(asList(value).map((o) => o.name).join(", "));
            for (const o of asList(value)) expect(options.map((x) => x.gid)).toContain(o.gid);
            break;
          case "date":
            expect(c.display_value).toBe((value as ApiRecord).date);
            expect(c.display_value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
            break;
          case "people":
            expect(c.display_value).toBe(asList(value).map((u) => u.name).join(", "));
            break;
        }
      }
    }
    expect(checked).toBeGreaterThan(truth.tasks.length / 2);
    expect([...types].sort()).toEqual(["date", "enum", "multi_enum", "number", "people", "text"]);
    expect(unset).toBeGreaterThan(0);
    for (const t of truth.subtasks) if (t.custom_fields !== null) expect(t.custom_fields).toEqual([]);
  });
});
