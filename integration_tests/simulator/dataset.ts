/**
 * A deterministic Asana dataset for a seed and a size: the ground truth the simulator serves.
 *
 * Layers: structure.ts (who exists and how things relate, built once), facts.ts (attributes
 * derived on demand from seed + index), records.ts (Asana's JSON shapes), projection.ts (what a
 * response shows of them: full records, compact records, opt_fields). This class is the query
 * surface over them: lists in API order (as gids), records by gid, the ground truth of each
 * stream (the full records a single-object GET returns), and the minimal request count of a
 * perfect sync.
 *
 * Mutations (mutations.ts) go to an overlay (overlay.ts): facts read patches and added stories or
 * attachments from it, created tasks are appended to the structure, and this class hides deleted
 * tasks (with their subtasks, stories and attachments) from every lookup, list, ground truth,
 * count and minimal request count.
 */
import { AuditLog, auditEventRecord } from "./audit-log.js";
import { Facts } from "./facts.js";
import { STREAM_NAMES, type StreamName } from "./fields.js";
import { ATTACHMENTS_PER_PARENT_SLOT, CUSTOM_FIELDS_PER_WORKSPACE_SLOT, GidCodec, KIND, type Kind } from "./gids.js";
import { Overlay } from "./overlay.js";
import { Planning, PlanningRecords } from "./planning.js";
import { SeededRandom } from "./random.js";
import { fullTree, fullView, shapeRecord } from "./projection.js";
import { type ApiRecord, RecordBuilder } from "./records.js";
import { buildStructure, type DatasetSize, type Structure } from "./structure.js";

export type { DatasetSize } from "./structure.js";
export { STREAM_NAMES, type StreamName } from "./fields.js";
export type { ApiRecord } from "./records.js";

/**
 * Who is asking: a personal access token (or OAuth) sees the portfolios its user owns and may not
 * read the audit log; a service account sees every portfolio and reads the audit log.
 */
export type Viewer = "personal" | "service_account";

export interface MinimalRequests {
  total: number;
  byStream: Record<StreamName, number>;
}

/** `GET /tasks` filters (indices already resolved from gids). */
export interface TaskQuery {
  project?: number;
  section?: number;
  tag?: number;
  /** assignee and workspace go together. */
  assignee?: { user: number; workspace: number };
  modifiedSince?: number;
  /** Incomplete tasks plus those completed at or after this time. */
  completedSince?: number;
}

export const PAGE_SIZE = 100;

/** The streams of portfolios, goals, time periods, task templates, custom fields and the audit log. */
type PlanningStream =
  | "custom_fields"
  | "custom_field_settings"
  | "task_templates"
  | "portfolios"
  | "portfolio_items"
  | "goals"
  | "goal_relationships"
  | "time_periods"
  | "audit_log_events";

/** Object kinds `sampleGids` can pick from ("task" = top-level tasks, "subtask" = the others). */
export type SampleKind = "workspace" | "user" | "team" | "project" | "section" | "task" | "subtask" | "tag";

function pages(n: number): number {
  return Math.max(1, Math.ceil(n / PAGE_SIZE));
}

export class Dataset {
  readonly streamNames: readonly StreamName[] = STREAM_NAMES;
  readonly structure: Structure;
  readonly facts: Facts;
  readonly records: RecordBuilder;
  readonly gids: GidCodec;
  /** What mutations changed (see overlay.ts). */
  readonly overlay = new Overlay();
  /** Structure index of the user who owns the tokens ("me"). */
  readonly me = 0;
  /** Portfolios, goals, time periods and task templates (planning.ts). */
  readonly planning: Planning;
  readonly planningRecords: PlanningRecords;
  /** The organizations' audit logs (audit-log.ts). */
  readonly audit: AuditLog;
  private tagIndex: { version: number; index: Map<number, number[]> } | undefined;

  constructor(
    readonly seed: number,
    readonly size: DatasetSize,
  ) {
    const rng = new SeededRandom(seed);
    this.gids = new GidCodec(seed);
    this.structure = buildStructure(size, rng);
    this.facts = new Facts(this.structure, rng, this.gids, this.overlay);
    this.records = new RecordBuilder(this.facts, rng);
    this.planning = new Planning(this.facts, rng);
    this.planningRecords = new PlanningRecords(this.planning, this.facts, this.records, rng);
    this.audit = new AuditLog(this.facts, rng);
  }

  /** Whether a task (or subtask) ordinal exists now (not deleted by a mutation). */
  isLive(ordinal: number): boolean {
    return ordinal < this.structure.tasks.length && !this.overlay.deleted.has(ordinal);
  }

  private liveOnly(ordinals: readonly number[]): readonly number[] {
    return this.overlay.deleted.size === 0 ? ordinals : ordinals.filter((o) => !this.overlay.deleted.has(o));
  }

  // --- gid resolution --------------------------------------------------------------------------

  /** The structure index behind a gid of `kind`, or undefined when no such object exists. */
  find(kind: Kind, gid: string): number | undefined {
    const index = this.gids.indexOf(gid, kind);
    if (index === undefined) return undefined;
    const s = this.structure;
    const exists = (list: readonly unknown[]): number | undefined => (index < list.length ? index : undefined);
    switch (kind) {
      case KIND.workspace:
        return exists(s.workspaces);
      case KIND.user:
        return exists(s.users);
      case KIND.team:
        return exists(s.teams);
      case KIND.teamMembership:
        return exists(s.teamMemberships);
      case KIND.workspaceMembership:
        return exists(s.workspaceMemberships);
      case KIND.project:
        return exists(s.projects);
      case KIND.section:
        return exists(s.sections);
      case KIND.task:
        return this.isLive(index) ? index : undefined;
      case KIND.tag:
        return exists(s.tags);
      case KIND.projectTemplate:
        return exists(s.templates);
      case KIND.webhook:
        return exists(s.webhooks);
      case KIND.story: {
        const story = this.facts.storyByIndex(index);
        return story === undefined || !this.isLive(story.task) || this.overlay.deletedStories.has(gid) ? undefined : index;
      }
      case KIND.taskAttachment: {
        const attachment = this.facts.taskAttachmentByIndex(index);
        return attachment === undefined || attachment.parent.kind !== "task" || !this.isLive(attachment.parent.ordinal) ? undefined : index;
      }
      case KIND.projectAttachment:
        return this.facts.projectAttachmentByIndex(index) === undefined ? undefined : index;
      case KIND.statusUpdate:
        return this.facts.statusUpdateByIndex(index) === undefined ? undefined : index;
      case KIND.customField: {
        const workspace = Math.floor(index / CUSTOM_FIELDS_PER_WORKSPACE_SLOT);
        return workspace < s.workspaces.length && this.facts.customFields(workspace).includes(index) ? index : undefined;
      }
      case KIND.customFieldSetting: {
        const project = Math.floor(index / CUSTOM_FIELDS_PER_WORKSPACE_SLOT);
        return project < s.projects.length && this.facts.customFieldSettings(project).some((cs) => cs.gid === gid) ? index : undefined;
      }
      case KIND.portfolioCustomFieldSetting:
        return this.planning.portfolioSettingByIndex(index) === undefined ? undefined : index;
      case KIND.taskTemplate:
        return this.planning.taskTemplateByIndex(index) === undefined ? undefined : index;
      case KIND.portfolio:
        return exists(this.planning.portfolios);
      case KIND.goal:
        return exists(this.planning.goals);
      case KIND.goalRelationship:
        return this.planning.goalRelationshipByIndex(index) === undefined ? undefined : index;
      case KIND.timePeriod:
        return this.planning.timePeriod(index) === undefined ? undefined : index;
      case KIND.auditEvent:
        return this.audit.byIndex(index) === undefined ? undefined : index;
      default:
        return undefined;
    }
  }

  /**
   * The stream a gid's record belongs to, with the builder's record (what projections start
   * from: see projection.ts); undefined for unknown gids.
   */
  source(gid: string): { stream: StreamName; record: ApiRecord } | undefined {
    const decoded = this.gids.decode(gid);
    if (decoded === undefined) return undefined;
    const index = this.find(decoded.kind as Kind, gid);
    if (index === undefined) return undefined;
    const r = this.records;
    const p = this.planningRecords;
    switch (decoded.kind) {
      case KIND.workspace:
        return { stream: "workspaces", record: r.workspace(index) };
      case KIND.user:
        return { stream: "users", record: r.user(index) };
      case KIND.team:
        return { stream: "teams", record: r.team(index) };
      case KIND.teamMembership:
        return { stream: "team_memberships", record: r.teamMembership(index) };
      case KIND.workspaceMembership:
        return { stream: "workspace_memberships", record: r.workspaceMembership(index) };
      case KIND.project:
        return { stream: "projects", record: r.project(index) };
      case KIND.section:
        return { stream: "sections", record: r.section(index) };
      case KIND.task:
        return { stream: this.structure.tasks[index]!.depth === 0 ? "tasks" : "subtasks", record: r.task(index) };
      case KIND.tag:
        return { stream: "tags", record: r.tag(index) };
      case KIND.projectTemplate:
        return { stream: "project_templates", record: r.template(index) };
      case KIND.webhook:
        return { stream: "webhooks", record: r.webhook(index) };
      case KIND.story:
        return { stream: "stories", record: r.story(this.facts.storyByIndex(index)!) };
      case KIND.taskAttachment:
        return { stream: "attachments", record: r.attachment(this.facts.taskAttachmentByIndex(index)!) };
      case KIND.projectAttachment:
        return { stream: "attachments", record: r.attachment(this.facts.projectAttachmentByIndex(index)!) };
      case KIND.statusUpdate:
        return { stream: "status_updates", record: r.statusUpdate(this.facts.statusUpdateByIndex(index)!) };
      case KIND.customField:
        return { stream: "custom_fields", record: r.customField(index) };
      case KIND.customFieldSetting: {
        const setting = this.facts.customFieldSettings(Math.floor(index / CUSTOM_FIELDS_PER_WORKSPACE_SLOT)).find((cs) => cs.gid === gid)!;
        return { stream: "custom_field_settings", record: r.projectCustomFieldSetting(setting) };
      }
      case KIND.portfolioCustomFieldSetting: {
        const { portfolio, setting } = this.planning.portfolioSettingByIndex(index)!;
        return { stream: "custom_field_settings", record: p.portfolioCustomFieldSetting(portfolio, setting) };
      }
      case KIND.taskTemplate: {
        const { project, position } = this.planning.taskTemplateByIndex(index)!;
        return { stream: "task_templates", record: p.taskTemplate(project, position) };
      }
      case KIND.portfolio:
        return { stream: "portfolios", record: p.portfolio(index) };
      case KIND.goal:
        return { stream: "goals", record: p.goal(index) };
      case KIND.goalRelationship:
        return { stream: "goal_relationships", record: p.goalRelationship(this.planning.goalRelationshipByIndex(index)!) };
      case KIND.timePeriod:
        return { stream: "time_periods", record: p.timePeriod(index) };
      case KIND.auditEvent:
        return { stream: "audit_log_events", record: auditEventRecord(this.audit.byIndex(index)!, this.facts, r) };
      default:
        return undefined;
    }
  }

  /** The stream a gid's full record belongs to, with the full record; undefined for unknown gids. */
  lookup(gid: string): { stream: StreamName; record: ApiRecord } | undefined {
    const found = this.source(gid);
    return found === undefined ? undefined : { stream: found.stream, record: fullView(found.stream, found.record) };
  }

  /** The full record behind a gid (any type), as a single-object GET returns it, or undefined. */
  fullRecord(gid: string): ApiRecord | undefined {
    return this.lookup(gid)?.record;
  }

  // --- lists in API order (ascending gid), as gids ------------------------------------------------

  private encodeAll(kind: Kind, indices: readonly number[]): string[] {
    return indices.map((i) => this.gids.encode(kind, i));
  }

  listWorkspaces(): string[] {
    return this.encodeAll(KIND.workspace, this.structure.workspaces.map((w) => w.index));
  }

  /** Users of a workspace, or of every workspace (de-duplicated) when none is given. */
  listUsers(workspace?: number): string[] {
    const users = workspace === undefined ? this.structure.users.filter((u) => u.workspaces.length > 0).map((u) => u.index) : this.structure.workspaces[workspace]!.users;
    return this.encodeAll(KIND.user, users);
  }

  listTeams(workspace: number): string[] {
    return this.encodeAll(KIND.team, this.structure.workspaces[workspace]!.teams);
  }

  listTeamMemberships(team: number): string[] {
    return this.encodeAll(KIND.teamMembership, this.structure.teams[team]!.memberships);
  }

  listWorkspaceMemberships(workspace: number): string[] {
    return this.encodeAll(KIND.workspaceMembership, this.structure.workspaces[workspace]!.workspaceMemberships);
  }

  listProjects(filter: { workspace?: number; team?: number; archived?: boolean }): string[] {
    let projects: readonly number[];
    if (filter.team !== undefined) projects = this.structure.teams[filter.team]!.projects;
    else if (filter.workspace !== undefined) projects = this.structure.workspaces[filter.workspace]!.projects;
    else projects = this.structure.projects.map((p) => p.index);
    if (filter.workspace !== undefined) projects = projects.filter((p) => this.structure.projects[p]!.workspace === filter.workspace);
    if (filter.archived !== undefined) projects = projects.filter((p) => (this.structure.projects[p]!.role === "archived") === filter.archived);
    return this.encodeAll(KIND.project, projects);
  }

  listSections(project: number): string[] {
    return this.encodeAll(KIND.section, this.structure.projects[project]!.sections);
  }

  listTasks(query: TaskQuery): string[] {
    const s = this.structure;
    let tasks: number[];
    if (query.project !== undefined) tasks = s.projects[query.project]!.tasks;
    else if (query.section !== undefined) {
      const section = query.section;
      const project = s.sections[section]!.project;
      tasks = s.projects[project]!.tasks.filter((o) => s.tasks[o]!.sections[s.tasks[o]!.projects.indexOf(project)] === section);
    } else if (query.tag !== undefined) tasks = this.tasksWithTag(query.tag);
    else if (query.assignee !== undefined) {
      const { user, workspace } = query.assignee;
      tasks = [];
      for (const node of s.tasks) if (node.workspace === workspace && this.facts.taskAssignee(node.ordinal) === user) tasks.push(node.ordinal);
    } else tasks = [];
    if (query.project !== undefined && query.section !== undefined) {
      const section = query.section;
      tasks = tasks.filter((o) => s.tasks[o]!.sections.includes(section));
    }
    tasks = [...this.liveOnly(tasks)];
    if (query.modifiedSince !== undefined || query.completedSince !== undefined) {
      tasks = tasks.filter((o) => {
        const t = this.facts.task(o);
        if (query.modifiedSince !== undefined && t.modifiedAt < query.modifiedSince) return false;
        if (query.completedSince !== undefined && t.completedAt !== null && t.completedAt < query.completedSince) return false;
        return true;
      });
    }
    return this.encodeAll(KIND.task, tasks);
  }

  private tasksWithTag(tag: number): number[] {
    if (this.tagIndex === undefined || this.tagIndex.version !== this.overlay.version) {
      const index = new Map<number, number[]>();
      for (const node of this.structure.tasks) {
        for (const t of this.facts.taskTags(node.ordinal)) {
          const list = index.get(t) ?? [];
          list.push(node.ordinal);
          index.set(t, list);
        }
      }
      this.tagIndex = { version: this.overlay.version, index };
    }
    return this.tagIndex.index.get(tag) ?? [];
  }

  listSubtasks(ordinal: number): string[] {
    return this.encodeAll(KIND.task, this.liveOnly(this.structure.tasks[ordinal]!.children));
  }

  listTags(workspace?: number): string[] {
    const tags = workspace === undefined ? this.structure.tags.map((t) => t.index) : this.structure.workspaces[workspace]!.tags;
    return this.encodeAll(KIND.tag, tags);
  }

  listStories(ordinal: number): string[] {
    return this.facts.storyGids(ordinal);
  }

  listTaskAttachments(ordinal: number): string[] {
    return this.facts.taskAttachmentGids(ordinal);
  }

  listProjectAttachments(project: number): string[] {
    const n = this.facts.projectAttachmentCount(project);
    return Array.from({ length: n }, (_, j) => this.gids.encode(KIND.projectAttachment, project * ATTACHMENTS_PER_PARENT_SLOT + j));
  }

  listTemplates(filter: { workspace?: number; team?: number }): string[] {
    if (filter.team !== undefined) return this.encodeAll(KIND.projectTemplate, this.structure.teams[filter.team]!.templates);
    if (filter.workspace !== undefined) return this.encodeAll(KIND.projectTemplate, this.structure.workspaces[filter.workspace]!.templates);
    return [];
  }

  listStatusUpdates(project: number, createdSince?: number): string[] {
    return this.facts
      .statusUpdates(project)
      .filter((u) => createdSince === undefined || u.createdAt >= createdSince)
      .map((u) => u.gid);
  }

  /** Webhooks of a workspace, optionally only those watching `resourceGid`. */
  listWebhooks(workspace: number, resourceGid?: string): string[] {
    const hooks = this.structure.workspaces[workspace]!.webhooks.filter((w) => {
      if (resourceGid === undefined) return true;
      const facts = this.facts.webhook(w);
      const watched = facts.project >= 0 ? this.facts.project(facts.project).gid : this.facts.workspace(facts.workspace).gid;
      return watched === resourceGid;
    });
    return this.encodeAll(KIND.webhook, hooks);
  }

  listCustomFields(workspace: number): string[] {
    return this.encodeAll(KIND.customField, this.facts.customFields(workspace));
  }

  listProjectCustomFieldSettings(project: number): string[] {
    return this.facts.customFieldSettings(project).map((cs) => cs.gid);
  }

  listPortfolioCustomFieldSettings(portfolio: number): string[] {
    return this.planning.portfolioSettings(portfolio).map((cs) => cs.gid);
  }

  listTaskTemplates(project: number): string[] {
    return this.planning.taskTemplateGids(project);
  }

  /** Portfolios of a workspace owned by `owner`, or all of them when undefined. */
  listPortfolios(workspace: number, owner?: number): string[] {
    return this.encodeAll(KIND.portfolio, this.planning.listPortfolios(workspace, owner).map((p) => p.index));
  }

  /** A portfolio's items: its projects, then its nested portfolios. */
  listPortfolioItems(portfolio: number): string[] {
    const node = this.planning.portfolio(portfolio)!;
    return [...this.encodeAll(KIND.project, node.projects), ...this.encodeAll(KIND.portfolio, node.portfolios)];
  }

  listGoals(workspace: number): string[] {
    return this.encodeAll(KIND.goal, this.planning.listGoals(workspace).map((g) => g.index));
  }

  listGoalRelationships(goal: number): string[] {
    return this.planning.goalRelationships(goal).map((r) => r.gid);
  }

  listTimePeriods(workspace: number): string[] {
    return this.encodeAll(KIND.timePeriod, this.planning.listTimePeriods(workspace).map((p) => p.index));
  }

  /** A workspace's audit events created in [startAt, endAt), oldest first. */
  listAuditEvents(workspace: number, startAt?: number, endAt?: number): string[] {
    return this.audit
      .events(workspace)
      .filter((e) => (startAt === undefined || e.createdAt >= startAt) && (endAt === undefined || e.createdAt < endAt))
      .map((e) => e.gid);
  }

  /** The portfolios a viewer's full sync lists: those "me" owns (a personal token), or all. */
  visiblePortfolios(viewer: Viewer): number[] {
    return this.planning.portfolios.filter((p) => viewer === "service_account" || p.owner === this.me).map((p) => p.index);
  }

  /**
   * `n` distinct gids of `kind`, deterministic for (dataset, kind, n, salt): victims for partition
   * faults, repeating offsets and the like. "project" picks projects that have tasks; "task"
   * picks live top-level tasks, "subtask" live subtasks.
   */
  sampleGids(kind: SampleKind, n: number, salt = 0): string[] {
    const s = this.structure;
    let kindCode: Kind;
    let indices: number[];
    switch (kind) {
      case "workspace":
        [kindCode, indices] = [KIND.workspace, s.workspaces.map((w) => w.index)];
        break;
      case "user":
        [kindCode, indices] = [KIND.user, s.users.filter((u) => u.workspaces.length > 0).map((u) => u.index)];
        break;
      case "team":
        [kindCode, indices] = [KIND.team, s.teams.map((t) => t.index)];
        break;
      case "project":
        [kindCode, indices] = [KIND.project, s.projects.filter((p) => this.liveOnly(p.tasks).length > 0).map((p) => p.index)];
        break;
      case "section":
        [kindCode, indices] = [KIND.section, s.sections.map((x) => x.index)];
        break;
      case "task":
        [kindCode, indices] = [KIND.task, s.tasks.filter((t) => t.depth === 0 && this.isLive(t.ordinal)).map((t) => t.ordinal)];
        break;
      case "subtask":
        [kindCode, indices] = [KIND.task, s.tasks.filter((t) => t.depth > 0 && this.isLive(t.ordinal)).map((t) => t.ordinal)];
        break;
      case "tag":
        [kindCode, indices] = [KIND.tag, s.tags.map((t) => t.index)];
        break;
    }
    const rng = new SeededRandom(this.seed);
    return rng.sample(indices, Math.max(0, Math.floor(n)), `sample.${kind}`, salt).map((i) => this.gids.encode(kindCode, i));
  }

  // --- ground truth ----------------------------------------------------------------------------

  /**
   * The exact full records a perfect full sync of `stream` emits, each once, for a viewer (see
   * `Viewer`). portfolio_items records carry the `portfolio_gid` the connector adds.
   */
  *groundTruth(stream: StreamName, viewer: Viewer = "personal"): Generator<ApiRecord> {
    for (const record of this.sources(stream, viewer)) yield fullView(stream, record);
  }

  /** The builder's records of a stream, in ground-truth order. */
  private *sources(stream: StreamName, viewer: Viewer): Generator<ApiRecord> {
    const s = this.structure;
    const r = this.records;
    const p = this.planningRecords;
    switch (stream) {
      case "workspaces":
        for (const w of s.workspaces) yield r.workspace(w.index);
        return;
      case "users":
        for (const u of s.users) if (u.workspaces.length > 0) yield r.user(u.index);
        return;
      case "teams":
        for (const t of s.teams) if (s.workspaces[t.workspace]!.organization) yield r.team(t.index);
        return;
      case "team_memberships":
        for (const m of s.teamMemberships) yield r.teamMembership(m.index);
        return;
      case "workspace_memberships":
        for (const m of s.workspaceMemberships) yield r.workspaceMembership(m.index);
        return;
      case "projects":
        for (const p of s.projects) yield r.project(p.index);
        return;
      case "sections":
        for (const sec of s.sections) yield r.section(sec.index);
        return;
      case "tasks":
        for (const t of s.tasks) if (t.depth === 0 && t.projects.length > 0 && this.isLive(t.ordinal)) yield r.task(t.ordinal);
        return;
      case "subtasks":
        for (const t of s.tasks) if (t.depth > 0 && this.isLive(t.ordinal)) yield r.task(t.ordinal);
        return;
      case "tags":
        for (const t of s.tags) yield r.tag(t.index);
        return;
      case "stories":
        for (const t of s.tasks) if (this.isLive(t.ordinal)) for (const story of this.facts.stories(t.ordinal)) yield r.story(story);
        return;
      case "attachments":
        for (const p of s.projects) for (const a of this.facts.projectAttachments(p.index)) yield r.attachment(a);
        for (const t of s.tasks) if (this.isLive(t.ordinal)) for (const a of this.facts.taskAttachments(t.ordinal)) yield r.attachment(a);
        return;
      case "project_templates":
        for (const t of s.templates) yield r.template(t.index);
        return;
      case "status_updates":
        for (const p of s.projects) for (const u of this.facts.statusUpdates(p.index)) yield r.statusUpdate(u);
        return;
      case "webhooks":
        for (const w of s.webhooks) yield r.webhook(w.index);
        return;
      case "custom_fields":
        for (const w of s.workspaces) for (const f of this.facts.customFields(w.index)) yield r.customField(f);
        return;
      case "custom_field_settings":
        for (const project of s.projects) for (const cs of this.facts.customFieldSettings(project.index)) yield r.projectCustomFieldSetting(cs);
        for (const portfolio of this.visiblePortfolios(viewer)) for (const cs of this.planning.portfolioSettings(portfolio)) yield p.portfolioCustomFieldSetting(portfolio, cs);
        return;
      case "task_templates":
        for (const project of s.projects) for (let j = 0; j < this.planning.taskTemplateCount(project.index); j++) yield p.taskTemplate(project.index, j);
        return;
      case "portfolios":
        for (const portfolio of this.visiblePortfolios(viewer)) yield p.portfolio(portfolio);
        return;
      case "portfolio_items":
        for (const portfolio of this.visiblePortfolios(viewer)) {
          const portfolioGid = this.gids.encode(KIND.portfolio, portfolio);
          for (const gid of this.listPortfolioItems(portfolio)) yield { ...shapeRecord(this.source(gid)!.record, fullTree("portfolio_items")), portfolio_gid: portfolioGid };
        }
        return;
      case "goals":
        for (const g of this.planning.goals) yield p.goal(g.index);
        return;
      case "goal_relationships":
        for (const g of this.planning.goals) for (const rel of this.planning.goalRelationships(g.index)) yield p.goalRelationship(rel);
        return;
      case "time_periods":
        for (const period of this.planning.timePeriods) yield p.timePeriod(period.index);
        return;
      case "audit_log_events":
        if (viewer !== "service_account") return;
        for (const w of s.workspaces) for (const e of this.audit.events(w.index)) yield auditEventRecord(e, this.facts, r);
        return;
    }
  }

  /** Ground-truth record counts per stream for a viewer (computed without building records). */
  counts(viewer: Viewer = "personal"): Record<StreamName, number> {
    const s = this.structure;
    const f = this.facts;
    let stories = 0;
    let taskAttachments = 0;
    let tasks = 0;
    let subtasks = 0;
    for (const t of s.tasks) {
      if (!this.isLive(t.ordinal)) continue;
      if (t.depth === 0) tasks++;
      else subtasks++;
      stories += f.storyCount(t.ordinal);
      taskAttachments += f.taskAttachmentCount(t.ordinal);
    }
    let projectAttachments = 0;
    let statusUpdates = 0;
    for (const p of s.projects) {
      projectAttachments += f.projectAttachmentCount(p.index);
      statusUpdates += f.statusUpdateCount(p.index);
    }
    return {
      workspaces: s.workspaces.length,
      users: s.users.filter((u) => u.workspaces.length > 0).length,
      teams: s.teams.length,
      team_memberships: s.teamMemberships.length,
      workspace_memberships: s.workspaceMemberships.length,
      projects: s.projects.length,
      sections: s.sections.length,
      tasks,
      subtasks,
      tags: s.tags.length,
      stories,
      attachments: projectAttachments + taskAttachments,
      project_templates: s.templates.length,
      status_updates: statusUpdates,
      webhooks: s.webhooks.length,
      ...this.planningCounts(viewer),
    };
  }

  /** Record counts of the streams added with portfolios, goals and the audit log. */
  private planningCounts(viewer: Viewer): Pick<Record<StreamName, number>, PlanningStream> {
    const s = this.structure;
    const pl = this.planning;
    const visible = this.visiblePortfolios(viewer);
    const total = <T>(items: readonly T[], n: (item: T) => number): number => items.reduce((acc, item) => acc + n(item), 0);
    return {
      custom_fields: total(s.workspaces, (w) => this.facts.customFields(w.index).length),
      custom_field_settings: total(s.projects, (p) => this.facts.customFieldSettings(p.index).length) + total(visible, (p) => pl.portfolioSettings(p).length),
      task_templates: total(s.projects, (p) => pl.taskTemplateCount(p.index)),
      portfolios: visible.length,
      portfolio_items: total(visible, (p) => this.listPortfolioItems(p).length),
      goals: pl.goals.length,
      goal_relationships: total(pl.goals, (g) => pl.goalRelationships(g.index).length),
      time_periods: pl.timePeriods.length,
      audit_log_events: viewer === "service_account" ? total(s.workspaces, (w) => this.audit.count(w.index)) : 0,
    };
  }

  /**
   * Requests a perfect full sync of every stream needs at limit=100: per stream, the sum over its
   * partitions of max(1, ceil(n / 100)). Partitions: workspaces 1; users, workspace_memberships,
   * projects, tags, project_templates, webhooks one per workspace; teams one per organization;
   * team_memberships one per team; sections, tasks, status_updates one per project; subtasks one
   * per task or subtask with num_subtasks > 0; stories one per task and subtask; attachments one
   * per project plus one per task and subtask.
   */
  minimalRequests(viewer: Viewer = "personal"): MinimalRequests {
    const s = this.structure;
    const f = this.facts;
    const sum = <T>(items: readonly T[], n: (item: T) => number): number => items.reduce((acc, item) => acc + pages(n(item)), 0);
    let subtasks = 0;
    let stories = 0;
    let taskAttachments = 0;
    for (const t of s.tasks) {
      if (!this.isLive(t.ordinal)) continue;
      const children = this.liveOnly(t.children).length;
      if (children > 0) subtasks += pages(children);
      stories += pages(f.storyCount(t.ordinal));
      taskAttachments += pages(f.taskAttachmentCount(t.ordinal));
    }
    const byStream: Record<StreamName, number> = {
      workspaces: pages(s.workspaces.length),
      users: sum(s.workspaces, (w) => w.users.length),
      teams: sum(
        s.workspaces.filter((w) => w.organization),
        (w) => w.teams.length,
      ),
      team_memberships: sum(s.teams, (t) => t.memberships.length),
      workspace_memberships: sum(s.workspaces, (w) => w.workspaceMemberships.length),
      projects: sum(s.workspaces, (w) => w.projects.length),
      sections: sum(s.projects, (p) => p.sections.length),
      tasks: sum(s.projects, (p) => this.liveOnly(p.tasks).length),
      subtasks,
      tags: sum(s.workspaces, (w) => w.tags.length),
      stories,
      attachments: sum(s.projects, (p) => f.projectAttachmentCount(p.index)) + taskAttachments,
      project_templates: sum(s.workspaces, (w) => w.templates.length),
      status_updates: sum(s.projects, (p) => f.statusUpdateCount(p.index)),
      webhooks: sum(s.workspaces, (w) => w.webhooks.length),
      ...this.planningRequests(viewer),
    };
    const total = Object.values(byStream).reduce((a, b) => a + b, 0);
    return { total, byStream };
  }

  /**
   * The minimal requests of the streams added with portfolios, goals and the audit log: custom
   * fields, portfolios, goals and time periods one partition per workspace; custom field settings
   * one per project and per listed portfolio; task templates one per project; portfolio items one
   * per listed portfolio; goal relationships one per goal; the audit log one per organization,
   * where a personal token's single request answers 403 and a service account reads every page
   * plus the empty one that ends the listing (Asana sends a next_page after the last event).
   */
  private planningRequests(viewer: Viewer): Pick<Record<StreamName, number>, PlanningStream> {
    const s = this.structure;
    const pl = this.planning;
    const visible = this.visiblePortfolios(viewer);
    const sum = <T>(items: readonly T[], n: (item: T) => number): number => items.reduce((acc, item) => acc + pages(n(item)), 0);
    const organizations = s.workspaces.filter((w) => w.organization);
    const auditPages = (w: number): number => {
      const n = this.audit.count(w);
      return n === 0 ? 1 : Math.ceil(n / PAGE_SIZE) + 1;
    };
    return {
      custom_fields: sum(s.workspaces, (w) => this.facts.customFields(w.index).length),
      custom_field_settings: sum(s.projects, (p) => this.facts.customFieldSettings(p.index).length) + sum(visible, (p) => pl.portfolioSettings(p).length),
      task_templates: sum(s.projects, (p) => pl.taskTemplateCount(p.index)),
      portfolios: sum(s.workspaces, (w) => this.planning.listPortfolios(w.index, viewer === "service_account" ? undefined : this.me).length),
      portfolio_items: sum(visible, (p) => this.listPortfolioItems(p).length),
      goals: sum(s.workspaces, (w) => pl.listGoals(w.index).length),
      goal_relationships: sum(pl.goals, (g) => pl.goalRelationships(g.index).length),
      time_periods: sum(s.workspaces, (w) => pl.listTimePeriods(w.index).length),
      audit_log_events: viewer === "service_account" ? organizations.reduce((acc, w) => acc + auditPages(w.index), 0) : organizations.length,
    };
  }
}
