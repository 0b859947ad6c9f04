/**
 * The shape of a dataset: which workspaces, users, teams, projects, sections, tasks and subtasks
 * exist and how they relate. Only relations and counts live here (small integer arrays); every
 * attribute (names, dates, flags) is derived on demand in facts.ts, and the leaf objects whose
 * count is a pure function of their parent (stories, attachments, status updates) are not
 * materialised at all.
 */
import type { SeededRandom } from "./random.js";

export type DatasetSize = "small" | "medium" | "large";

interface WorkspaceProfile {
  /** Organization members; a personal workspace takes its members from the organization's first users. */
  users: number;
  teams: number;
  projects: number;
  archivedProjects: number;
  emptyProjects: number;
  /** Top-level tasks, all projects together. */
  tasks: number;
  /** Tasks of one designated big project (0 = none), included in `tasks`. */
  bigProjectTasks: number;
  tags: number;
  templates: number;
  webhooks: number;
}

interface SizeProfile {
  organization: WorkspaceProfile;
  personal: WorkspaceProfile;
}

const PROFILES: Readonly<Record<DatasetSize, SizeProfile>> = {
  small: {
    organization: { users: 10, teams: 3, projects: 4, archivedProjects: 1, emptyProjects: 0, tasks: 40, bigProjectTasks: 0, tags: 3, templates: 2, webhooks: 2 },
    personal: { users: 2, teams: 0, projects: 1, archivedProjects: 0, emptyProjects: 0, tasks: 5, bigProjectTasks: 0, tags: 1, templates: 0, webhooks: 1 },
  },
  medium: {
    organization: { users: 60, teams: 6, projects: 24, archivedProjects: 3, emptyProjects: 2, tasks: 1200, bigProjectTasks: 300, tags: 8, templates: 4, webhooks: 3 },
    personal: { users: 3, teams: 0, projects: 2, archivedProjects: 0, emptyProjects: 0, tasks: 12, bigProjectTasks: 0, tags: 2, templates: 0, webhooks: 1 },
  },
  large: {
    organization: { users: 600, teams: 20, projects: 240, archivedProjects: 20, emptyProjects: 10, tasks: 120_000, bigProjectTasks: 5000, tags: 40, templates: 12, webhooks: 5 },
    personal: { users: 3, teams: 0, projects: 3, archivedProjects: 0, emptyProjects: 0, tasks: 60, bigProjectTasks: 0, tags: 2, templates: 0, webhooks: 1 },
  },
};

export const DATASET_SIZES: readonly DatasetSize[] = ["small", "medium", "large"];

/** Probability that a task at depth d (0 = top level) has subtasks, and how many. */
const SUBTASK_RATE = [0.3, 0.15, 0.1] as const;
const SUBTASK_COUNT = [
  [1, 3],
  [1, 2],
  [1, 2],
] as const;
/** Share of top-level tasks that are also in a second project. */
const MULTI_HOME_RATE = 0.1;

export interface WorkspaceNode {
  index: number;
  organization: boolean;
  users: number[];
  teams: number[];
  projects: number[];
  tags: number[];
  templates: number[];
  webhooks: number[];
  workspaceMemberships: number[];
}

export interface UserNode {
  index: number;
  workspaces: number[];
}

export interface TeamNode {
  index: number;
  workspace: number;
  memberships: number[];
  projects: number[];
  templates: number[];
}

export interface TeamMembershipNode {
  index: number;
  team: number;
  user: number;
}

export interface WorkspaceMembershipNode {
  index: number;
  workspace: number;
  user: number;
}

export type ProjectRole = "big" | "empty" | "archived" | "normal";

export interface ProjectNode {
  index: number;
  workspace: number;
  /** Owning team, or -1 in a personal workspace. */
  team: number;
  role: ProjectRole;
  sections: number[];
  /** Top-level tasks whose first project this is, in creation order. */
  homeTasks: number[];
  /** Every task in the project (home and multi-homed), ascending ordinal = ascending gid. */
  tasks: number[];
}

export interface SectionNode {
  index: number;
  project: number;
}

export interface TaskNode {
  ordinal: number;
  workspace: number;
  /** Parent task ordinal, or -1 for a top-level task. */
  parent: number;
  /** 0 for a top-level task, 1.. for subtasks. */
  depth: number;
  /** Projects (empty for subtasks); sections[i] is the task's section in projects[i]. */
  projects: number[];
  sections: number[];
  /** Position in its first project's homeTasks (-1 for subtasks). */
  homeIndex: number;
  children: number[];
}

export interface TagNode {
  index: number;
  workspace: number;
}

export interface TemplateNode {
  index: number;
  workspace: number;
  team: number;
}

export interface WebhookNode {
  index: number;
  workspace: number;
}

export interface Structure {
  workspaces: WorkspaceNode[];
  users: UserNode[];
  teams: TeamNode[];
  teamMemberships: TeamMembershipNode[];
  workspaceMemberships: WorkspaceMembershipNode[];
  projects: ProjectNode[];
  sections: SectionNode[];
  tasks: TaskNode[];
  tags: TagNode[];
  templates: TemplateNode[];
  webhooks: WebhookNode[];
}

/** Shared empty list for nodes without projects or children (never mutated: replaced when needed). */
const NONE: number[] = [];

export function buildStructure(size: DatasetSize, rng: SeededRandom): Structure {
  const profile = PROFILES[size];
  const s: Structure = {
    workspaces: [],
    users: [],
    teams: [],
    teamMemberships: [],
    workspaceMemberships: [],
    projects: [],
    sections: [],
    tasks: [],
    tags: [],
    templates: [],
    webhooks: [],
  };
  for (let u = 0; u < profile.organization.users; u++) s.users.push({ index: u, workspaces: [] });
  addWorkspace(s, profile.organization, true, rng);
  addWorkspace(s, profile.personal, false, rng);
  return s;
}

function addWorkspace(s: Structure, p: WorkspaceProfile, organization: boolean, rng: SeededRandom): void {
  const ws: WorkspaceNode = {
    index: s.workspaces.length,
    organization,
    users: [],
    teams: [],
    projects: [],
    tags: [],
    templates: [],
    webhooks: [],
    workspaceMemberships: [],
  };
  s.workspaces.push(ws);

  // Members: user 0 (the token's owner) is in every workspace.
  for (let u = 0; u < Math.min(p.users, s.users.length); u++) {
    ws.users.push(u);
    s.users[u]!.workspaces.push(ws.index);
    const membership = s.workspaceMemberships.length;
    s.workspaceMemberships.push({ index: membership, workspace: ws.index, user: u });
    ws.workspaceMemberships.push(membership);
  }

  // Teams (organizations only): user 0 in all, others in one team or two.
  if (organization) {
    const teams: TeamNode[] = [];
    for (let t = 0; t < p.teams; t++) {
      const team: TeamNode = { index: s.teams.length, workspace: ws.index, memberships: [], projects: [], templates: [] };
      s.teams.push(team);
      ws.teams.push(team.index);
      teams.push(team);
    }
    const membersOf = teams.map(() => [] as number[]);
    for (const u of ws.users) {
      if (u === 0) {
        for (const members of membersOf) members.push(u);
        continue;
      }
      const first = u % teams.length;
      membersOf[first]!.push(u);
      if (teams.length > 1 && rng.chance(0.3, "user.second-team", u)) {
        const second = (first + rng.int(1, teams.length - 1, "user.second-team.which", u)) % teams.length;
        membersOf[second]!.push(u);
      }
    }
    teams.forEach((team, t) => {
      for (const u of membersOf[t]!.sort((a, b) => a - b)) {
        const membership = s.teamMemberships.length;
        s.teamMemberships.push({ index: membership, team: team.index, user: u });
        team.memberships.push(membership);
      }
    });
  }

  addProjects(s, ws, p, rng);

  for (let t = 0; t < p.tags; t++) {
    const tag = s.tags.length;
    s.tags.push({ index: tag, workspace: ws.index });
    ws.tags.push(tag);
  }
  if (ws.teams.length > 0) {
    for (let t = 0; t < p.templates; t++) {
      const team = ws.teams[t % ws.teams.length]!;
      const template = s.templates.length;
      s.templates.push({ index: template, workspace: ws.index, team });
      ws.templates.push(template);
      s.teams[team]!.templates.push(template);
    }
  }
  for (let w = 0; w < p.webhooks; w++) {
    const webhook = s.webhooks.length;
    s.webhooks.push({ index: webhook, workspace: ws.index });
    ws.webhooks.push(webhook);
  }
}

function addProjects(s: Structure, ws: WorkspaceNode, p: WorkspaceProfile, rng: SeededRandom): void {
  const first = s.projects.length;
  // Roles by a seeded ordering of the workspace's project slots.
  const order = Array.from({ length: p.projects }, (_, k) => k).sort(
    (a, b) => rng.uint32("project.role-order", first + a) - rng.uint32("project.role-order", first + b) || a - b,
  );
  const roles: ProjectRole[] = new Array<ProjectRole>(p.projects).fill("normal");
  let cursor = 0;
  if (p.bigProjectTasks > 0 && p.projects > 0) roles[order[cursor++]!] = "big";
  for (let k = 0; k < p.emptyProjects && cursor < order.length; k++) roles[order[cursor++]!] = "empty";
  for (let k = 0; k < p.archivedProjects && cursor < order.length; k++) roles[order[cursor++]!] = "archived";

  for (let k = 0; k < p.projects; k++) {
    const index = first + k;
    const team = ws.teams.length > 0 ? ws.teams[rng.int(0, ws.teams.length - 1, "project.team", index)]! : -1;
    const project: ProjectNode = { index, workspace: ws.index, team, role: roles[k]!, sections: [], homeTasks: [], tasks: [] };
    s.projects.push(project);
    ws.projects.push(index);
    if (team >= 0) s.teams[team]!.projects.push(index);
    const sectionCount = project.role === "empty" ? 1 : rng.int(1, 4, "project.sections", index);
    for (let k2 = 0; k2 < sectionCount; k2++) {
      const section = s.sections.length;
      s.sections.push({ index: section, project: index });
      project.sections.push(section);
    }
  }

  // Top-level task counts per project.
  const projects = ws.projects.map((i) => s.projects[i]!);
  const normal = projects.filter((pr) => pr.role === "normal" || pr.role === "archived");
  const big = projects.find((pr) => pr.role === "big");
  const counts = new Map<number, number>();
  if (big !== undefined) counts.set(big.index, p.bigProjectTasks);
  const remaining = Math.max(0, p.tasks - (big === undefined ? 0 : p.bigProjectTasks));
  const weights = normal.map((pr) => 0.3 + rng.float("project.weight", pr.index));
  const total = weights.reduce((a, b) => a + b, 0);
  let assigned = 0;
  normal.forEach((pr, k) => {
    const n = Math.floor((remaining * weights[k]!) / total);
    counts.set(pr.index, n);
    assigned += n;
  });
  for (let k = 0; assigned < remaining && normal.length > 0; k = (k + 1) % normal.length, assigned++) {
    const pr = normal[k]!;
    counts.set(pr.index, counts.get(pr.index)! + 1);
  }

  for (const project of projects) {
    const n = counts.get(project.index) ?? 0;
    for (let k = 0; k < n; k++) {
      const ordinal = s.tasks.length;
      const section = project.sections[rng.int(0, project.sections.length - 1, "task.section", ordinal)]!;
      s.tasks.push({
        ordinal,
        workspace: ws.index,
        parent: -1,
        depth: 0,
        projects: [project.index],
        sections: [section],
        homeIndex: project.homeTasks.length,
        children: NONE,
      });
      project.homeTasks.push(ordinal);
      project.tasks.push(ordinal);
      addSubtasks(s, ordinal, rng);
    }
  }

  // Multi-homing: ~10% of top-level tasks are also in a second (non-empty) project.
  const hosts = projects.filter((pr) => pr.role !== "empty");
  if (hosts.length > 1) {
    for (const project of projects) {
      for (const ordinal of project.homeTasks) {
        if (!rng.chance(MULTI_HOME_RATE, "task.multi-home", ordinal)) continue;
        let other = hosts[rng.int(0, hosts.length - 1, "task.multi-home.project", ordinal)]!;
        if (other.index === project.index) other = hosts[(hosts.indexOf(other) + 1) % hosts.length]!;
        const task = s.tasks[ordinal]!;
        task.projects.push(other.index);
        task.sections.push(other.sections[rng.int(0, other.sections.length - 1, "task.multi-home.section", ordinal)]!);
        other.tasks.push(ordinal);
      }
    }
    for (const project of projects) project.tasks.sort((a, b) => a - b);
  }
}

/** Subtasks right after their parent (depth first), up to three levels below a top-level task. */
function addSubtasks(s: Structure, parentOrdinal: number, rng: SeededRandom): void {
  const parent = s.tasks[parentOrdinal]!;
  const rate = SUBTASK_RATE[parent.depth];
  const range = SUBTASK_COUNT[parent.depth];
  if (rate === undefined || range === undefined || !rng.chance(rate, "task.has-subtasks", parentOrdinal)) return;
  const n = rng.int(range[0], range[1], "task.subtask-count", parentOrdinal);
  parent.children = [];
  for (let k = 0; k < n; k++) {
    const ordinal = s.tasks.length;
    s.tasks.push({
      ordinal,
      workspace: parent.workspace,
      parent: parentOrdinal,
      depth: parent.depth + 1,
      projects: NONE,
      sections: NONE,
      homeIndex: -1,
      children: NONE,
    });
    parent.children.push(ordinal);
    addSubtasks(s, ordinal, rng);
  }
}
