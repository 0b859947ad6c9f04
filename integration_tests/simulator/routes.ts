/**
 * The API routes under /api/1.0: parameter validation (Asana's 400/404 messages), the dataset
 * query behind each route, and the list/single-object envelopes. Route patterns use `{gid}` for
 * every path parameter; the pattern is also the key of the request statistics.
 */
import type { Dataset, TaskQuery, Viewer } from "./dataset.js";
import { ApiError, missingInput, unknownId } from "./errors.js";
import type { EventLog } from "./events.js";
import type { StreamName } from "./fields.js";
import { KIND, type Kind } from "./gids.js";
import { type NextPage, type OffsetCodec, paginate, parseLimit } from "./pagination.js";
import { fullView, parseOptFields, project, type Projection } from "./projection.js";

export interface RouteContext {
  dataset: Dataset;
  /** Path parameters in pattern order. */
  params: string[];
  query: URLSearchParams;
  /** Request path without the /api/1.0 prefix, e.g. "/tasks". */
  path: string;
  /** e.g. "http://127.0.0.1:1234/api/1.0" (for next_page.uri). */
  apiBase: string;
  offsets: OffsetCodec;
  /** The Events API's log. */
  events: EventLog;
  /** The simulated clock (epoch ms). */
  now: () => number;
  /** Lists partitioned by one of these gids repeat their next_page offset forever. */
  repeatOffsetFor: ReadonlySet<string>;
  /** Whose token it is: a personal one (PAT, OAuth) or a service account's. */
  viewer: Viewer;
}

export interface RouteResult {
  status: number;
  body: unknown;
}

export interface Route {
  method: "GET";
  pattern: string;
  handle(ctx: RouteContext): RouteResult;
}

/** Resource type names used in messages, per stream. */
const TYPE_NAME: Readonly<Record<StreamName, string>> = {
  workspaces: "workspace",
  users: "user",
  teams: "team",
  team_memberships: "team_membership",
  workspace_memberships: "workspace_membership",
  projects: "project",
  sections: "section",
  tasks: "task",
  subtasks: "task",
  tags: "tag",
  stories: "story",
  attachments: "attachment",
  project_templates: "project_template",
  status_updates: "status_update",
  webhooks: "webhook",
  custom_fields: "custom_field",
  custom_field_settings: "custom_field_setting",
  task_templates: "task_template",
  portfolios: "portfolio",
  portfolio_items: "project",
  goals: "goal",
  goal_relationships: "goal_relationship",
  time_periods: "time_period",
  audit_log_events: "audit_log_event",
};

/** Query parameters that do not change which items a list holds (excluded from offset scopes). */
const PAGING_PARAMS = new Set(["offset", "limit", "opt_fields", "opt_pretty", "opt_expand"]);

/** Query parameters that name the partition (parent object) of a request. */
export const PARTITION_PARAMS = ["parent", "project", "workspace", "team", "section", "tag", "resource", "supported_goal"] as const;

/** The gids a request names: numeric path segments and the partition parameters' values. */
export function partitionGids(path: string, query: URLSearchParams): { gid: string; param: string | null }[] {
  const out: { gid: string; param: string | null }[] = [];
  for (const segment of path.split("/")) if (/^\d+$/.test(segment)) out.push({ gid: segment, param: null });
  for (const param of PARTITION_PARAMS) {
    const value = query.get(param);
    if (value !== null && value !== "") out.push({ gid: value, param });
  }
  return out;
}

// --- parameter helpers -------------------------------------------------------------------------

function resolveId(ctx: RouteContext, raw: string, kind: Kind, typeName: string): number {
  const index = ctx.dataset.find(kind, raw);
  if (index === undefined) throw unknownId(typeName, raw);
  return index;
}

/** A required gid query parameter of one kind: 400 when absent, 404 when unknown. */
function requiredId(ctx: RouteContext, name: string, kind: Kind, typeName = name): number {
  const raw = ctx.query.get(name);
  if (raw === null || raw === "") throw missingInput(name);
  return resolveId(ctx, raw, kind, typeName);
}

function optionalId(ctx: RouteContext, name: string, kind: Kind, typeName = name): number | undefined {
  const raw = ctx.query.get(name);
  return raw === null || raw === "" ? undefined : resolveId(ctx, raw, kind, typeName);
}

function pathId(ctx: RouteContext, kind: Kind, typeName: string): number {
  return resolveId(ctx, ctx.params[0]!, kind, typeName);
}

function optionalTime(ctx: RouteContext, name: string, allowNow = false): number | undefined {
  const raw = ctx.query.get(name);
  if (raw === null || raw === "") return undefined;
  if (allowNow && raw === "now") return Number.POSITIVE_INFINITY;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) throw new ApiError(400, `${name}: Not a valid date-time: ${raw}`);
  return ms;
}

function optionalBoolean(ctx: RouteContext, name: string): boolean | undefined {
  const raw = ctx.query.get(name);
  if (raw === null || raw === "") return undefined;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new ApiError(400, `${name}: Not a boolean: ${raw}`);
}

// --- envelopes ---------------------------------------------------------------------------------

function projectionFor(ctx: RouteContext, stream: StreamName): Projection {
  return parseOptFields(stream, ctx.query.get("opt_fields"), TYPE_NAME[stream]);
}

/**
 * A paginated list of records (by gid), projected per opt_fields (projection.ts). `alwaysNext`:
 * every page has a next_page, the last one and the empty one after it too (the audit log).
 */
function list(ctx: RouteContext, stream: StreamName, gids: readonly string[], alwaysNext = false): RouteResult {
  const limit = parseLimit(ctx.query.get("limit"));
  const projection = projectionFor(ctx, stream);
  const scopeParams = [...ctx.query.entries()].filter(([k]) => !PAGING_PARAMS.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const scope = `${ctx.path}?${new URLSearchParams(scopeParams).toString()}`;
  const rawOffset = ctx.query.get("offset");
  const start = rawOffset === null ? 0 : ctx.offsets.decode(scope, rawOffset);
  const repeat = ctx.repeatOffsetFor.size > 0 && partitionGids(ctx.path, ctx.query).some((p) => ctx.repeatOffsetFor.has(p.gid));
  const makeNext = (position: number): NextPage => {
    const offset = repeat ? ctx.offsets.encodeFixed(scope, position) : ctx.offsets.encode(scope, position);
    const query = new URLSearchParams(ctx.query);
    query.set("offset", offset);
    if (limit !== undefined) query.set("limit", String(limit));
    const path = `${ctx.path}?${query.toString()}`;
    return { offset, path, uri: `${ctx.apiBase}${path}` };
  };
  const page = paginate(gids, { limit, start, alwaysNext: repeat || alwaysNext }, (gid) => project(stream, ctx.dataset.source(gid)!.record, projection), makeNext);
  return { status: 200, body: page };
}

/** An unpaginated list (the /workspaces/{gid}/users style endpoints): `limit`/`offset` ignored. */
function unpaginated(ctx: RouteContext, stream: StreamName, gids: readonly string[]): RouteResult {
  const projection = projectionFor(ctx, stream);
  return { status: 200, body: { data: gids.map((gid) => project(stream, ctx.dataset.source(gid)!.record, projection)) } };
}

/** A single object: the full record by default, gid + the requested fields with opt_fields. */
function single(ctx: RouteContext, kinds: readonly Kind[], typeName: string): RouteResult {
  const gid = ctx.params[0]!;
  const found = kinds.some((k) => ctx.dataset.find(k, gid) !== undefined) ? ctx.dataset.source(gid) : undefined;
  if (found === undefined) throw unknownId(typeName, gid);
  const raw = ctx.query.get("opt_fields");
  const record = raw === null ? fullView(found.stream, found.record) : project(found.stream, found.record, parseOptFields(found.stream, raw, typeName));
  return { status: 200, body: { data: record } };
}

// --- /tasks ------------------------------------------------------------------------------------

function taskQuery(ctx: RouteContext): TaskQuery {
  const projectIndex = optionalId(ctx, "project", KIND.project);
  const section = optionalId(ctx, "section", KIND.section);
  const tag = optionalId(ctx, "tag", KIND.tag);
  const hasAssignee = ctx.query.get("assignee") !== null;
  const hasWorkspace = ctx.query.get("workspace") !== null;
  const chosen = [projectIndex !== undefined, section !== undefined, tag !== undefined, hasAssignee || hasWorkspace].filter(Boolean).length;
  if (chosen === 0) throw missingInput("workspace");
  if (chosen > 1 && !(projectIndex !== undefined && section !== undefined && chosen === 2)) {
    throw new ApiError(400, "Must specify exactly one of project, tag, section, or assignee + workspace");
  }
  const query: TaskQuery = {};
  if (projectIndex !== undefined) query.project = projectIndex;
  if (section !== undefined) query.section = section;
  if (tag !== undefined) query.tag = tag;
  if (hasAssignee || hasWorkspace) {
    if (!hasWorkspace) throw missingInput("workspace");
    if (!hasAssignee) throw missingInput("assignee");
    const workspace = requiredId(ctx, "workspace", KIND.workspace);
    const rawAssignee = ctx.query.get("assignee")!;
    const user = rawAssignee === "me" ? ctx.dataset.me : resolveId(ctx, rawAssignee, KIND.user, "assignee");
    query.assignee = { user, workspace };
  }
  const modifiedSince = optionalTime(ctx, "modified_since");
  const completedSince = optionalTime(ctx, "completed_since", true);
  if (modifiedSince !== undefined) query.modifiedSince = modifiedSince;
  if (completedSince !== undefined) query.completedSince = completedSince;
  return query;
}

/** `completed_since` only (the /projects/{gid}/tasks style endpoints). */
function completedSinceOnly(ctx: RouteContext, base: TaskQuery): TaskQuery {
  const completedSince = optionalTime(ctx, "completed_since", true);
  return completedSince === undefined ? base : { ...base, completedSince };
}

function userParam(ctx: RouteContext, raw: string): number {
  return raw === "me" ? ctx.dataset.me : resolveId(ctx, raw, KIND.user, "user");
}

// --- the route table ---------------------------------------------------------------------------

export const ROUTES: readonly Route[] = [
  { method: "GET", pattern: "/workspaces", handle: (ctx) => list(ctx, "workspaces", ctx.dataset.listWorkspaces()) },
  { method: "GET", pattern: "/workspaces/{gid}", handle: (ctx) => single(ctx, [KIND.workspace], "workspace") },
  {
    method: "GET",
    pattern: "/users",
    handle: (ctx) => list(ctx, "users", ctx.dataset.listUsers(optionalId(ctx, "workspace", KIND.workspace))),
  },
  {
    method: "GET",
    pattern: "/users/{gid}",
    handle: (ctx) => {
      // "me" is the tokens' owner.
      const user = userParam(ctx, ctx.params[0]!);
      return single({ ...ctx, params: [ctx.dataset.gids.encode(KIND.user, user)] }, [KIND.user], "user");
    },
  },
  {
    method: "GET",
    pattern: "/workspaces/{gid}/users",
    handle: (ctx) => unpaginated(ctx, "users", ctx.dataset.listUsers(pathId(ctx, KIND.workspace, "workspace"))),
  },
  {
    method: "GET",
    pattern: "/workspaces/{gid}/teams",
    handle: (ctx) => {
      const workspace = pathId(ctx, KIND.workspace, "workspace");
      if (!ctx.dataset.structure.workspaces[workspace]!.organization) throw new ApiError(400, "workspace: Not an organization");
      return list(ctx, "teams", ctx.dataset.listTeams(workspace));
    },
  },
  { method: "GET", pattern: "/teams/{gid}", handle: (ctx) => single(ctx, [KIND.team], "team") },
  {
    method: "GET",
    pattern: "/teams/{gid}/users",
    handle: (ctx) => {
      const team = pathId(ctx, KIND.team, "team");
      const users = ctx.dataset.structure.teams[team]!.memberships.map((m) => ctx.dataset.structure.teamMemberships[m]!.user);
      return unpaginated(ctx, "users", users.map((u) => ctx.dataset.gids.encode(KIND.user, u)));
    },
  },
  {
    method: "GET",
    pattern: "/teams/{gid}/team_memberships",
    handle: (ctx) => list(ctx, "team_memberships", ctx.dataset.listTeamMemberships(pathId(ctx, KIND.team, "team"))),
  },
  { method: "GET", pattern: "/team_memberships/{gid}", handle: (ctx) => single(ctx, [KIND.teamMembership], "team_membership") },
  {
    method: "GET",
    pattern: "/workspaces/{gid}/workspace_memberships",
    handle: (ctx) => list(ctx, "workspace_memberships", ctx.dataset.listWorkspaceMemberships(pathId(ctx, KIND.workspace, "workspace"))),
  },
  { method: "GET", pattern: "/workspace_memberships/{gid}", handle: (ctx) => single(ctx, [KIND.workspaceMembership], "workspace_membership") },
  {
    method: "GET",
    pattern: "/projects",
    handle: (ctx) => {
      const filter: { workspace?: number; team?: number; archived?: boolean } = {};
      const workspace = optionalId(ctx, "workspace", KIND.workspace);
      const team = optionalId(ctx, "team", KIND.team);
      const archived = optionalBoolean(ctx, "archived");
      if (workspace !== undefined) filter.workspace = workspace;
      if (team !== undefined) filter.team = team;
      if (archived !== undefined) filter.archived = archived;
      return list(ctx, "projects", ctx.dataset.listProjects(filter));
    },
  },
  {
    method: "GET",
    pattern: "/workspaces/{gid}/projects",
    handle: (ctx) => {
      const archived = optionalBoolean(ctx, "archived");
      const workspace = pathId(ctx, KIND.workspace, "workspace");
      return list(ctx, "projects", ctx.dataset.listProjects(archived === undefined ? { workspace } : { workspace, archived }));
    },
  },
  {
    method: "GET",
    pattern: "/teams/{gid}/projects",
    handle: (ctx) => {
      const archived = optionalBoolean(ctx, "archived");
      const team = pathId(ctx, KIND.team, "team");
      return list(ctx, "projects", ctx.dataset.listProjects(archived === undefined ? { team } : { team, archived }));
    },
  },
  { method: "GET", pattern: "/projects/{gid}", handle: (ctx) => single(ctx, [KIND.project], "project") },
  {
    method: "GET",
    pattern: "/projects/{gid}/sections",
    handle: (ctx) => list(ctx, "sections", ctx.dataset.listSections(pathId(ctx, KIND.project, "project"))),
  },
  { method: "GET", pattern: "/sections/{gid}", handle: (ctx) => single(ctx, [KIND.section], "section") },
  { method: "GET", pattern: "/tasks", handle: (ctx) => list(ctx, "tasks", ctx.dataset.listTasks(taskQuery(ctx))) },
  {
    method: "GET",
    pattern: "/projects/{gid}/tasks",
    handle: (ctx) => list(ctx, "tasks", ctx.dataset.listTasks(completedSinceOnly(ctx, { project: pathId(ctx, KIND.project, "project") }))),
  },
  {
    method: "GET",
    pattern: "/sections/{gid}/tasks",
    handle: (ctx) => list(ctx, "tasks", ctx.dataset.listTasks(completedSinceOnly(ctx, { section: pathId(ctx, KIND.section, "section") }))),
  },
  {
    method: "GET",
    pattern: "/tags/{gid}/tasks",
    handle: (ctx) => list(ctx, "tasks", ctx.dataset.listTasks({ tag: pathId(ctx, KIND.tag, "tag") })),
  },
  { method: "GET", pattern: "/tasks/{gid}", handle: (ctx) => single(ctx, [KIND.task], "task") },
  {
    method: "GET",
    pattern: "/tasks/{gid}/subtasks",
    handle: (ctx) => list(ctx, "subtasks", ctx.dataset.listSubtasks(pathId(ctx, KIND.task, "task"))),
  },
  {
    method: "GET",
    pattern: "/tasks/{gid}/stories",
    handle: (ctx) => list(ctx, "stories", ctx.dataset.listStories(pathId(ctx, KIND.task, "task"))),
  },
  { method: "GET", pattern: "/stories/{gid}", handle: (ctx) => single(ctx, [KIND.story], "story") },
  { method: "GET", pattern: "/tags", handle: (ctx) => list(ctx, "tags", ctx.dataset.listTags(optionalId(ctx, "workspace", KIND.workspace))) },
  {
    method: "GET",
    pattern: "/workspaces/{gid}/tags",
    handle: (ctx) => list(ctx, "tags", ctx.dataset.listTags(pathId(ctx, KIND.workspace, "workspace"))),
  },
  { method: "GET", pattern: "/tags/{gid}", handle: (ctx) => single(ctx, [KIND.tag], "tag") },
  {
    method: "GET",
    pattern: "/attachments",
    handle: (ctx) => {
      const raw = ctx.query.get("parent");
      if (raw === null || raw === "") throw missingInput("parent");
      const task = ctx.dataset.find(KIND.task, raw);
      if (task !== undefined) return list(ctx, "attachments", ctx.dataset.listTaskAttachments(task));
      const projectIndex = ctx.dataset.find(KIND.project, raw);
      if (projectIndex !== undefined) return list(ctx, "attachments", ctx.dataset.listProjectAttachments(projectIndex));
      throw unknownId("parent", raw);
    },
  },
  { method: "GET", pattern: "/attachments/{gid}", handle: (ctx) => single(ctx, [KIND.taskAttachment, KIND.projectAttachment], "attachment") },
  {
    method: "GET",
    pattern: "/project_templates",
    handle: (ctx) => {
      const team = optionalId(ctx, "team", KIND.team);
      const workspace = optionalId(ctx, "workspace", KIND.workspace);
      if (team === undefined && workspace === undefined) throw missingInput("workspace");
      return list(ctx, "project_templates", ctx.dataset.listTemplates(team !== undefined ? { team } : { workspace: workspace! }));
    },
  },
  {
    method: "GET",
    pattern: "/teams/{gid}/project_templates",
    handle: (ctx) => list(ctx, "project_templates", ctx.dataset.listTemplates({ team: pathId(ctx, KIND.team, "team") })),
  },
  { method: "GET", pattern: "/project_templates/{gid}", handle: (ctx) => single(ctx, [KIND.projectTemplate], "project_template") },
  {
    method: "GET",
    pattern: "/status_updates",
    handle: (ctx) => {
      const projectIndex = requiredId(ctx, "parent", KIND.project);
      return list(ctx, "status_updates", ctx.dataset.listStatusUpdates(projectIndex, optionalTime(ctx, "created_since")));
    },
  },
  { method: "GET", pattern: "/status_updates/{gid}", handle: (ctx) => single(ctx, [KIND.statusUpdate], "status_update") },
  {
    method: "GET",
    pattern: "/webhooks",
    handle: (ctx) => {
      const workspace = requiredId(ctx, "workspace", KIND.workspace);
      const resource = ctx.query.get("resource");
      return list(ctx, "webhooks", ctx.dataset.listWebhooks(workspace, resource === null || resource === "" ? undefined : resource));
    },
  },
  { method: "GET", pattern: "/webhooks/{gid}", handle: (ctx) => single(ctx, [KIND.webhook], "webhook") },
  { method: "GET", pattern: "/events", handle: events },
  ...planningRoutes(),
];

// --- custom fields, task templates, portfolios, goals, time periods, the audit log ---------------

function optionalDate(ctx: RouteContext, name: string): number | undefined {
  const raw = ctx.query.get(name);
  if (raw === null || raw === "") return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? Date.parse(`${raw}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms)) throw new ApiError(400, `${name}: Not a valid date: ${raw}`);
  return ms;
}

/**
 * `GET /portfolios?workspace=[&owner=]`: a personal token lists the portfolios its user owns
 * (another owner is refused); a service account lists every portfolio, or the owner's.
 */
function portfolios(ctx: RouteContext): RouteResult {
  const workspace = requiredId(ctx, "workspace", KIND.workspace);
  const rawOwner = ctx.query.get("owner");
  const owner = rawOwner === null || rawOwner === "" ? undefined : userParam(ctx, rawOwner);
  if (ctx.viewer === "service_account") return list(ctx, "portfolios", ctx.dataset.listPortfolios(workspace, owner));
  if (owner !== undefined && owner !== ctx.dataset.me) throw new ApiError(403, "owner: You can only list the portfolios you own.");
  return list(ctx, "portfolios", ctx.dataset.listPortfolios(workspace, ctx.dataset.me));
}

/** `GET /goals?workspace=` or `?team=`. */
function goals(ctx: RouteContext): RouteResult {
  const team = optionalId(ctx, "team", KIND.team);
  const workspace = optionalId(ctx, "workspace", KIND.workspace);
  if (team === undefined && workspace === undefined) throw missingInput("workspace");
  const d = ctx.dataset;
  const all = d.planning.goals.filter((g) => (workspace === undefined || g.workspace === workspace) && (team === undefined || g.team === team));
  return list(ctx, "goals", all.map((g) => d.gids.encode(KIND.goal, g.index)));
}

/** `GET /time_periods?workspace=[&start_on=&end_on=]`: periods overlapping [start_on, end_on]. */
function timePeriods(ctx: RouteContext): RouteResult {
  const workspace = requiredId(ctx, "workspace", KIND.workspace);
  const startOn = optionalDate(ctx, "start_on");
  const endOn = optionalDate(ctx, "end_on");
  const d = ctx.dataset;
  const periods = d.planning.listTimePeriods(workspace).filter((p) => (startOn === undefined || p.end >= startOn) && (endOn === undefined || p.start <= endOn));
  return list(ctx, "time_periods", periods.map((p) => d.gids.encode(KIND.timePeriod, p.index)));
}

export const AUDIT_LOG_FORBIDDEN_MESSAGE = "Audit log events can only be read by a service account of an Enterprise+ organization.";

/** `GET /workspaces/{gid}/audit_log_events`: service accounts only; a next_page on every page. */
function auditLogEvents(ctx: RouteContext): RouteResult {
  const workspace = pathId(ctx, KIND.workspace, "workspace");
  if (ctx.viewer !== "service_account") throw new ApiError(403, AUDIT_LOG_FORBIDDEN_MESSAGE);
  const events = ctx.dataset.listAuditEvents(workspace, optionalTime(ctx, "start_at"), optionalTime(ctx, "end_at"));
  return list(ctx, "audit_log_events", events, true);
}

function planningRoutes(): Route[] {
  return [
    {
      method: "GET",
      pattern: "/workspaces/{gid}/custom_fields",
      handle: (ctx) => list(ctx, "custom_fields", ctx.dataset.listCustomFields(pathId(ctx, KIND.workspace, "workspace"))),
    },
    { method: "GET", pattern: "/custom_fields/{gid}", handle: (ctx) => single(ctx, [KIND.customField], "custom_field") },
    {
      method: "GET",
      pattern: "/projects/{gid}/custom_field_settings",
      handle: (ctx) => list(ctx, "custom_field_settings", ctx.dataset.listProjectCustomFieldSettings(pathId(ctx, KIND.project, "project"))),
    },
    {
      method: "GET",
      pattern: "/portfolios/{gid}/custom_field_settings",
      handle: (ctx) => list(ctx, "custom_field_settings", ctx.dataset.listPortfolioCustomFieldSettings(pathId(ctx, KIND.portfolio, "portfolio"))),
    },
    {
      method: "GET",
      pattern: "/task_templates",
      handle: (ctx) => list(ctx, "task_templates", ctx.dataset.listTaskTemplates(requiredId(ctx, "project", KIND.project))),
    },
    { method: "GET", pattern: "/task_templates/{gid}", handle: (ctx) => single(ctx, [KIND.taskTemplate], "task_template") },
    { method: "GET", pattern: "/portfolios", handle: portfolios },
    { method: "GET", pattern: "/portfolios/{gid}", handle: (ctx) => single(ctx, [KIND.portfolio], "portfolio") },
    {
      method: "GET",
      pattern: "/portfolios/{gid}/items",
      handle: (ctx) => list(ctx, "portfolio_items", ctx.dataset.listPortfolioItems(pathId(ctx, KIND.portfolio, "portfolio"))),
    },
    { method: "GET", pattern: "/goals", handle: goals },
    { method: "GET", pattern: "/goals/{gid}", handle: (ctx) => single(ctx, [KIND.goal], "goal") },
    {
      method: "GET",
      pattern: "/goal_relationships",
      handle: (ctx) => list(ctx, "goal_relationships", ctx.dataset.listGoalRelationships(requiredId(ctx, "supported_goal", KIND.goal))),
    },
    { method: "GET", pattern: "/goal_relationships/{gid}", handle: (ctx) => single(ctx, [KIND.goalRelationship], "goal_relationship") },
    { method: "GET", pattern: "/time_periods", handle: timePeriods },
    { method: "GET", pattern: "/time_periods/{gid}", handle: (ctx) => single(ctx, [KIND.timePeriod], "time_period") },
    { method: "GET", pattern: "/workspaces/{gid}/audit_log_events", handle: auditLogEvents },
  ];
}

// --- /events -----------------------------------------------------------------------------------

/** `GET /events?resource=<project or task gid>&sync=<token>` (412 with a fresh token without a valid one). */
function events(ctx: RouteContext): RouteResult {
  const resource = ctx.query.get("resource");
  if (resource === null || resource === "") throw missingInput("resource");
  const d = ctx.dataset;
  // A deleted task keeps its events (its deletion is one of them).
  const taskIndex = d.gids.indexOf(resource, KIND.task);
  const known = d.find(KIND.project, resource) !== undefined || (taskIndex !== undefined && taskIndex < d.structure.tasks.length);
  if (!known) throw unknownId("resource", resource);
  const now = ctx.now();
  const sync = ctx.query.get("sync");
  const after = sync === null || sync === "" ? undefined : ctx.events.parse(resource, sync, now);
  if (after === undefined) return { status: 412, body: ctx.events.invalidBody(resource, now) };
  return { status: 200, body: ctx.events.read(resource, after, now) };
}

interface CompiledRoute {
  route: Route;
  segments: string[];
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((route) => ({ route, segments: route.pattern.split("/").slice(1) }));

/** The route matching a method and path (without the /api/1.0 prefix), with its path parameters. */
export function matchRoute(method: string, path: string): { route: Route; params: string[] } | undefined {
  const segments = path.split("/").slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
  for (const { route, segments: pattern } of COMPILED) {
    if (route.method !== method || pattern.length !== segments.length) continue;
    const params: string[] = [];
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      if (pattern[i] === "{gid}") params.push(safeDecode(segments[i]!));
      else ok = pattern[i] === segments[i];
    }
    if (ok) return { route, params };
  }
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
