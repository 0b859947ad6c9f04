/**
 * Portfolios, goals, time periods and task templates: who owns and contains what (built once per
 * dataset from the structure, a few hundred objects at most) and their records.
 *
 * - Portfolios live in organizations (a paid feature). Every third one starts a group: it is
 *   owned by "me" and holds the next two as nested portfolios, the first owned by "me" too, the
 *   second by someone else. So a personal token (which lists the portfolios it owns) sees nested
 *   portfolios and one it cannot list; a service account lists them all. Each portfolio holds
 *   two to five of the organization's projects (a project often sits in several portfolios) and
 *   shows one to three of its custom fields.
 * - Time periods: per organization, FY / H1 / H2 / Q1..Q4 for two or more fiscal years; halves
 *   have their year as parent, quarters their half.
 * - Goals: per organization; goal k > 0 supports goal (k - 1) / 3 (a subgoal); every fourth goal
 *   has no time period; some belong to a team, the others are workspace-level. A goal's
 *   relationships list its subgoals, then supporting projects and (now and then) a portfolio.
 * - Task templates: zero to two per project (none in an empty project).
 */
import type { Facts } from "./facts.js";
import {
  CUSTOM_FIELDS_PER_WORKSPACE_SLOT,
  GOAL_RELATIONSHIPS_PER_GOAL_SLOT,
  KIND,
  TASK_TEMPLATES_PER_PROJECT_SLOT,
  TIME_PERIODS_PER_WORKSPACE_SLOT,
} from "./gids.js";
import type { SeededRandom } from "./random.js";
import { type ApiRecord, type Json, type RecordBuilder, isoDate, isoTime } from "./records.js";
import { DATA_END, DATA_START } from "./facts.js";
import { PROJECT_TOPICS } from "./vocabulary.js";

const DAY = 86_400_000;
const APP_URL = "https://app.asana.com";
const PORTFOLIO_COLORS = ["dark-blue", "dark-green", "light-purple", "dark-orange", "light-teal", "dark-red"] as const;
const GOAL_STATUSES = ["green", "yellow", "red", "missed", "achieved", "partial", "dropped"] as const;
const TEMPLATE_NAMES = ["Bug report", "Launch checklist", "Weekly review", "Design request", "Onboarding"] as const;

export interface PortfolioNode {
  index: number;
  workspace: number;
  owner: number;
  /** Projects, then nested portfolios: the order GET /portfolios/{gid}/items lists them in. */
  projects: number[];
  portfolios: number[];
  /** Custom field indices shown on the portfolio. */
  fields: number[];
}

export interface TimePeriodNode {
  index: number;
  workspace: number;
  period: "FY" | "H1" | "H2" | "Q1" | "Q2" | "Q3" | "Q4";
  year: number;
  start: number;
  end: number;
  /** Index of the parent period, or -1 for a fiscal year. */
  parent: number;
}

export interface GoalNode {
  index: number;
  workspace: number;
  /** The goal this one supports, or -1. */
  supports: number;
  team: number;
  timePeriod: number;
  owner: number;
}

export type GoalRelationshipNode =
  | { gid: string; goal: number; kind: "subgoal"; goalIndex: number }
  | { gid: string; goal: number; kind: "project"; project: number }
  | { gid: string; goal: number; kind: "portfolio"; portfolio: number };

export class Planning {
  readonly portfolios: PortfolioNode[] = [];
  readonly timePeriods: TimePeriodNode[] = [];
  readonly goals: GoalNode[] = [];
  private readonly relationships = new Map<number, GoalRelationshipNode[]>();

  constructor(
    private readonly facts: Facts,
    private readonly rng: SeededRandom,
  ) {
    for (const ws of facts.structure.workspaces) {
      if (!ws.organization) continue;
      this.addPortfolios(ws.index);
      this.addTimePeriods(ws.index);
      this.addGoals(ws.index);
    }
  }

  private get structure() {
    return this.facts.structure;
  }

  private addPortfolios(workspace: number): void {
    const ws = this.structure.workspaces[workspace]!;
    const n = Math.max(3, Math.ceil(ws.projects.length / 4));
    const others = ws.users.filter((u) => u !== 0);
    const first = this.portfolios.length;
    const fields = this.facts.customFields(workspace);
    for (let k = 0; k < n; k++) {
      const index = first + k;
      const owner = k % 3 === 2 && others.length > 0 ? this.rng.pick(others, "portfolio.owner", index) : 0;
      const count = Math.min(ws.projects.length, this.rng.int(2, 5, "portfolio.projects", index));
      const projects = this.rng.sample(ws.projects, count, "portfolio.project", index).sort((a, b) => a - b);
      const shown = this.rng.sample(fields, this.rng.int(1, 3, "portfolio.fields", index), "portfolio.field", index).sort((a, b) => a - b);
      this.portfolios.push({ index, workspace, owner, projects, portfolios: [], fields: shown });
      if (k % 3 !== 0) this.portfolios[first + k - (k % 3)]!.portfolios.push(index);
    }
  }

  private addTimePeriods(workspace: number): void {
    const projects = this.structure.workspaces[workspace]!.projects.length;
    const years = 2 + (projects >= 20 ? 1 : 0) + (projects >= 200 ? 1 : 0);
    const base = workspace * TIME_PERIODS_PER_WORKSPACE_SLOT;
    for (let y = 0; y < years; y++) {
      const year = 2023 + y;
      const at = (month: number): number => Date.UTC(year, month, 1);
      const fy = base + this.timePeriods.filter((p) => p.workspace === workspace).length;
      const add = (period: TimePeriodNode["period"], from: number, to: number, parent: number): number => {
        const index = base + this.timePeriods.filter((p) => p.workspace === workspace).length;
        this.timePeriods.push({ index, workspace, period, year, start: at(from), end: at(to) - DAY, parent });
        return index;
      };
      add("FY", 0, 12, -1);
      const h1 = add("H1", 0, 6, fy);
      add("Q1", 0, 3, h1);
      add("Q2", 3, 6, h1);
      const h2 = add("H2", 6, 12, fy);
      add("Q3", 6, 9, h2);
      add("Q4", 9, 12, h2);
    }
  }

  private addGoals(workspace: number): void {
    const ws = this.structure.workspaces[workspace]!;
    const n = Math.max(4, Math.ceil(ws.projects.length / 2));
    const periods = this.timePeriods.filter((p) => p.workspace === workspace).map((p) => p.index);
    const first = this.goals.length;
    for (let k = 0; k < n; k++) {
      const index = first + k;
      this.goals.push({
        index,
        workspace,
        supports: k === 0 ? -1 : first + Math.floor((k - 1) / 3),
        team: k % 3 === 2 && ws.teams.length > 0 ? this.rng.pick(ws.teams, "goal.team", index) : -1,
        timePeriod: k % 4 === 3 || periods.length === 0 ? -1 : this.rng.pick(periods, "goal.period", index),
        owner: this.rng.pick(ws.users, "goal.owner", index),
      });
    }
  }

  // --- lookups -------------------------------------------------------------------------------

  portfolio(index: number): PortfolioNode | undefined {
    return this.portfolios[index];
  }

  goal(index: number): GoalNode | undefined {
    return this.goals[index];
  }

  timePeriod(index: number): TimePeriodNode | undefined {
    return this.timePeriods.find((p) => p.index === index);
  }

  /** Portfolios of a workspace a viewer lists: its own (a personal token) or all of them. */
  listPortfolios(workspace: number, owner: number | undefined): PortfolioNode[] {
    return this.portfolios.filter((p) => p.workspace === workspace && (owner === undefined || p.owner === owner));
  }

  /** The custom field settings of a portfolio: gid index = portfolio * slot + field position. */
  portfolioSettings(portfolio: number): { gid: string; field: number; isImportant: boolean }[] {
    const node = this.portfolios[portfolio]!;
    return node.fields.map((field) => {
      const index = portfolio * CUSTOM_FIELDS_PER_WORKSPACE_SLOT + (field % CUSTOM_FIELDS_PER_WORKSPACE_SLOT);
      return { gid: this.facts.gids.encode(KIND.portfolioCustomFieldSetting, index), field, isImportant: this.rng.chance(0.5, "portfolio.field.important", index) };
    });
  }

  /** The portfolio and field position behind a portfolio custom field setting index. */
  portfolioSettingByIndex(index: number): { portfolio: number; setting: { gid: string; field: number; isImportant: boolean } } | undefined {
    const portfolio = Math.floor(index / CUSTOM_FIELDS_PER_WORKSPACE_SLOT);
    if (this.portfolios[portfolio] === undefined) return undefined;
    const setting = this.portfolioSettings(portfolio).find((s) => this.facts.gids.indexOf(s.gid, KIND.portfolioCustomFieldSetting) === index);
    return setting === undefined ? undefined : { portfolio, setting };
  }

  listGoals(workspace: number): GoalNode[] {
    return this.goals.filter((g) => g.workspace === workspace);
  }

  listTimePeriods(workspace: number): TimePeriodNode[] {
    return this.timePeriods.filter((p) => p.workspace === workspace);
  }

  /** What supports a goal: its subgoals, then projects, then now and then a portfolio. */
  goalRelationships(goal: number): GoalRelationshipNode[] {
    let list = this.relationships.get(goal);
    if (list !== undefined) return list;
    const node = this.goals[goal]!;
    const gid = (j: number): string => this.facts.gids.encode(KIND.goalRelationship, goal * GOAL_RELATIONSHIPS_PER_GOAL_SLOT + j);
    list = [];
    for (const sub of this.goals) if (sub.supports === goal) list.push({ gid: gid(list.length), goal, kind: "subgoal", goalIndex: sub.index });
    const projects = this.structure.workspaces[node.workspace]!.projects;
    const n = this.rng.int(0, 2, "goal.projects", goal);
    for (const project of this.rng.sample(projects, n, "goal.project", goal).sort((a, b) => a - b)) list.push({ gid: gid(list.length), goal, kind: "project", project });
    const portfolios = this.listPortfolios(node.workspace, undefined);
    if (goal % 5 === 0 && portfolios.length > 0) list.push({ gid: gid(list.length), goal, kind: "portfolio", portfolio: this.rng.pick(portfolios, "goal.portfolio", goal).index });
    this.relationships.set(goal, list);
    return list;
  }

  goalRelationshipByIndex(index: number): GoalRelationshipNode | undefined {
    const goal = Math.floor(index / GOAL_RELATIONSHIPS_PER_GOAL_SLOT);
    if (this.goals[goal] === undefined) return undefined;
    return this.goalRelationships(goal)[index % GOAL_RELATIONSHIPS_PER_GOAL_SLOT];
  }

  taskTemplateCount(project: number): number {
    return this.structure.projects[project]!.role === "empty" ? 0 : this.rng.int(0, 2, "project.task-templates", project);
  }

  taskTemplateGids(project: number): string[] {
    return Array.from({ length: this.taskTemplateCount(project) }, (_, j) => this.facts.gids.encode(KIND.taskTemplate, project * TASK_TEMPLATES_PER_PROJECT_SLOT + j));
  }

  /** The project and position behind a task template index, when it exists. */
  taskTemplateByIndex(index: number): { project: number; position: number } | undefined {
    const project = Math.floor(index / TASK_TEMPLATES_PER_PROJECT_SLOT);
    const position = index % TASK_TEMPLATES_PER_PROJECT_SLOT;
    if (project >= this.structure.projects.length || position >= this.taskTemplateCount(project)) return undefined;
    return { project, position };
  }
}

/** The records of planning.ts's objects (spec-completed, with the seeded variation). */
export class PlanningRecords {
  constructor(
    private readonly planning: Planning,
    private readonly facts: Facts,
    private readonly records: RecordBuilder,
    private readonly rng: SeededRandom,
  ) {}

  private between(from: number, to: number, salt: string, index: number): number {
    return Math.floor((from + this.rng.float(salt, index) * (to - from)) / 1000) * 1000;
  }

  portfolioRef(index: number): ApiRecord {
    return { gid: this.facts.gids.encode(KIND.portfolio, index), resource_type: "portfolio", name: this.portfolioName(index) };
  }

  private portfolioName(index: number): string {
    return `${this.rng.pick(PROJECT_TOPICS, "portfolio.topic", index)} portfolio ${index + 1}`;
  }

  private goalName(index: number): string {
    return `Grow ${this.rng.pick(PROJECT_TOPICS, "goal.topic", index).toLowerCase()} by ${this.rng.int(5, 40, "goal.percent", index)}%`;
  }

  goalRef(index: number): ApiRecord {
    const g = this.planning.goal(index)!;
    return { gid: this.facts.gids.encode(KIND.goal, index), resource_type: "goal", name: this.goalName(index), owner: this.records.userRef(g.owner) };
  }

  timePeriodRef(index: number): ApiRecord {
    const p = this.planning.timePeriod(index)!;
    const fy = `FY${String(p.year).slice(2)}`;
    return {
      gid: this.facts.gids.encode(KIND.timePeriod, index),
      resource_type: "time_period",
      end_on: isoDate(p.end),
      start_on: isoDate(p.start),
      period: p.period,
      display_name: p.period === "FY" ? fy : `${p.period} ${fy}`,
    };
  }

  /** The portfolio's full values (PortfolioResponse), before completion. */
  private portfolioValues(index: number): Record<string, Json> {
    const p = this.planning.portfolio(index)!;
    const ref = this.portfolioRef(index);
    const createdAt = this.between(DATA_START, DATA_START + 300 * DAY, "portfolio.created", index);
    const members = [...new Set([p.owner, ...this.rng.sample(this.facts.structure.workspaces[p.workspace]!.users, 2, "portfolio.members", index)])].sort((a, b) => a - b);
    return {
      ...ref,
      archived: false,
      color: this.rng.pick(PORTFOLIO_COLORS, "portfolio.color", index),
      start_on: isoDate(createdAt),
      due_on: this.rng.chance(0.5, "portfolio.due", index) ? isoDate(this.between(createdAt, DATA_END, "portfolio.due-on", index)) : null,
      default_access_level: "editor",
      created_at: isoTime(createdAt),
      created_by: this.records.userRef(p.owner),
      custom_field_settings: this.planning.portfolioSettings(index).map((s) => this.records.customFieldSettingValues(s, ref, null)),
      current_status_update: null,
      custom_fields: [],
      members: members.map((u) => this.records.userRef(u)),
      owner: this.records.userRef(p.owner),
      workspace: this.records.workspaceRef(p.workspace),
      permalink_url: `${APP_URL}/0/portfolio/${ref.gid as string}/list`,
      public: this.rng.chance(0.5, "portfolio.public", index),
      privacy_setting: this.rng.chance(0.5, "portfolio.privacy", index) ? "public_to_domain" : "members_only",
      project_templates: [],
    };
  }

  portfolio(index: number): ApiRecord {
    return this.records.finish("portfolios", this.portfolioValues(index));
  }

  portfolioCustomFieldSetting(portfolio: number, setting: { gid: string; field: number; isImportant: boolean }): ApiRecord {
    return this.records.finish("custom_field_settings", this.records.customFieldSettingValues(setting, this.portfolioRef(portfolio), null));
  }

  timePeriod(index: number): ApiRecord {
    const p = this.planning.timePeriod(index)!;
    return this.records.finish("time_periods", { ...this.timePeriodRef(index), parent: p.parent < 0 ? null : this.timePeriodRef(p.parent) });
  }

  goal(index: number): ApiRecord {
    const g = this.planning.goal(index)!;
    const ref = this.goalRef(index);
    const notes = `${ref.name as string}: the target for the period.`;
    const hasMetric = index % 2 === 0;
    const target = this.rng.int(10, 100, "goal.target", index);
    const current = this.rng.int(0, target, "goal.current", index);
    const likes = this.facts.structure.workspaces[g.workspace]!.users.filter((u) => this.rng.chance(0.1, "goal.like", index, u)).slice(0, 3);
    const likeRecords = likes.map((u, j) => ({ gid: this.facts.gids.encode(KIND.like, 900_000_000 + index * 4 + j), user: this.records.userRef(u) }));
    return this.records.finish("goals", {
      ...ref,
      html_notes: `<body>${notes}</body>`,
      notes,
      due_on: g.timePeriod >= 0 ? isoDate(this.planning.timePeriod(g.timePeriod)!.end) : null,
      start_on: g.timePeriod >= 0 ? isoDate(this.planning.timePeriod(g.timePeriod)!.start) : null,
      is_workspace_level: g.team < 0,
      liked: likes.includes(0),
      likes: likeRecords,
      num_likes: likes.length,
      team: g.team < 0 ? null : this.records.teamRef(g.team),
      workspace: this.records.workspaceRef(g.workspace),
      followers: [this.records.userRef(g.owner)],
      time_period: g.timePeriod < 0 ? null : this.timePeriodRef(g.timePeriod),
      metric: hasMetric
        ? {
            gid: this.facts.gids.encode(KIND.goalMetric, index),
            resource_type: "goal_metric",
            resource_subtype: "number",
            precision: 0,
            unit: index % 4 === 0 ? "percentage" : "none",
            currency_code: null,
            initial_number_value: 0,
            target_number_value: target,
            current_number_value: current,
            current_display_value: String(current),
            progress_source: "manual",
            is_custom_weight: false,
            can_manage: g.owner === 0,
          }
        : null,
      owner: this.records.userRef(g.owner),
      current_status_update: null,
      status: this.rng.chance(0.8, "goal.has-status", index) ? this.rng.pick(GOAL_STATUSES, "goal.status", index) : null,
      privacy_setting: "public_to_workspace",
      default_access_level: "commenter",
      custom_fields: [],
      custom_field_settings: [],
    });
  }

  goalRelationship(rel: GoalRelationshipNode): ApiRecord {
    let supporting: ApiRecord;
    let weight = 1;
    if (rel.kind === "subgoal") {
      const g = this.goalRef(rel.goalIndex);
      supporting = { gid: g.gid!, resource_type: "goal", name: g.name! };
    } else if (rel.kind === "project") {
      supporting = this.records.projectRef(rel.project);
      weight = 0.5;
    } else {
      supporting = this.portfolioRef(rel.portfolio);
      weight = 0;
    }
    return this.records.finish("goal_relationships", {
      gid: rel.gid,
      resource_type: "goal_relationship",
      resource_subtype: rel.kind === "subgoal" ? "subgoal" : "supporting_work",
      supporting_resource: supporting,
      contribution_weight: weight,
      supported_goal: this.goalRef(rel.goal),
    });
  }

  taskTemplate(project: number, position: number): ApiRecord {
    const index = project * TASK_TEMPLATES_PER_PROJECT_SLOT + position;
    const name = this.rng.pick(TEMPLATE_NAMES, "task-template.name", index);
    const p = this.facts.project(project);
    const creator = this.rng.pick(p.members.length > 0 ? p.members : [p.owner], "task-template.creator", index);
    const projectRef = this.records.projectRef(project);
    const description = `Use this for: ${name.toLowerCase()}.`;
    return this.records.finish("task_templates", {
      gid: this.facts.gids.encode(KIND.taskTemplate, index),
      resource_type: "task_template",
      name,
      project: projectRef,
      template: {
        name,
        task_resource_subtype: position === 1 ? "milestone_task" : "default_task",
        description,
        html_description: `<body>${description}</body>`,
        memberships: [projectRef],
        relative_start_on: null,
        relative_due_on: this.rng.chance(0.5, "task-template.due", index) ? this.rng.int(1, 14, "task-template.due-days", index) : null,
        due_time: null,
        dependencies: [],
        dependents: [],
        followers: [this.records.userRef(creator)],
        attachments: [],
        subtasks: [],
        custom_fields: [],
      },
      created_by: this.records.userRef(creator),
      created_at: isoTime(this.between(p.createdAt, DATA_END, "task-template.created", index)),
    });
  }
}
