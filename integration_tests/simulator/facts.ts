/**
 * The domain model: every entity's attributes as plain values (times in epoch milliseconds,
 * references as structure indices), derived on demand from (seed, entity index) so nothing
 * needs to be precomputed. records.ts turns these into Asana's JSON shapes; filters (e.g.
 * `modified_since`) read them directly. The mutation overlay (overlay.ts) patches task facts and
 * adds stories and attachments; generated stories and attachments always derive from the
 * unpatched task, so a mutation changes exactly what it says.
 */
import {
  ATTACHMENTS_PER_PARENT_SLOT,
  CUSTOM_FIELDS_PER_WORKSPACE_SLOT,
  ENUM_OPTIONS_PER_FIELD_SLOT,
  GidCodec,
  KIND,
  LIKES_PER_OBJECT_SLOT,
  STATUS_UPDATES_PER_PROJECT_SLOT,
  STORIES_PER_TASK_SLOT,
} from "./gids.js";
import { EXTRA_INDEX_BASE, Overlay } from "./overlay.js";
import type { SeededRandom } from "./random.js";
import type { Structure } from "./structure.js";
import {
  COMMENTS,
  COMPANY_NAMES,
  CUSTOM_FIELD_DEFINITIONS,
  ENUM_OPTION_COLORS,
  FILE_NAMES,
  FILE_TYPES,
  FIRST_NAMES,
  LAST_NAMES,
  PROJECT_TOPICS,
  SECTION_NAMES,
  STATUS_TITLES,
  TAG_NAMES,
  TASK_OBJECTS,
  TASK_VERBS,
  TEAM_NAMES,
} from "./vocabulary.js";

/** Every generated time lies in [DATA_START, DATA_END]. */
export const DATA_START = Date.UTC(2023, 0, 2, 9, 0, 0);
export const DATA_END = Date.UTC(2024, 11, 20, 18, 0, 0);
const DAY = 86_400_000;

export interface Like {
  gid: string;
  user: number;
}

export interface WorkspaceFacts {
  gid: string;
  index: number;
  name: string;
  organization: boolean;
  emailDomains: string[];
}

export interface UserFacts {
  gid: string;
  index: number;
  name: string;
  email: string;
  hasPhoto: boolean;
  workspaces: number[];
}

export interface TeamFacts {
  gid: string;
  index: number;
  workspace: number;
  name: string;
  description: string;
  visibility: "secret" | "request_to_join" | "public";
  adminsOnly: boolean;
  endorsed: boolean;
}

export interface TeamMembershipFacts {
  gid: string;
  team: number;
  user: number;
  isAdmin: boolean;
  isGuest: boolean;
  isLimitedAccess: boolean;
}

export interface WorkspaceMembershipFacts {
  gid: string;
  index: number;
  workspace: number;
  user: number;
  userTaskListGid: string;
  isAdmin: boolean;
  isGuest: boolean;
  createdAt: number;
}

export interface ProjectFacts {
  gid: string;
  index: number;
  workspace: number;
  team: number;
  name: string;
  archived: boolean;
  color: string;
  icon: string | null;
  createdAt: number;
  modifiedAt: number;
  dueOn: number | null;
  startOn: number | null;
  notes: string;
  owner: number;
  members: number[];
  followers: number[];
  isPublic: boolean;
  privacy: "public_to_workspace" | "private_to_team" | "private";
  defaultView: "list" | "board" | "calendar" | "timeline";
  completed: boolean;
  completedAt: number | null;
  completedBy: number | null;
  fromTemplate: number;
}

export interface SectionFacts {
  gid: string;
  index: number;
  project: number;
  name: string;
  createdAt: number;
}

export type TaskSubtype = "default_task" | "milestone" | "approval";

export interface TaskFacts {
  gid: string;
  ordinal: number;
  workspace: number;
  name: string;
  subtype: TaskSubtype;
  approvalStatus: "pending" | "approved" | "rejected" | "changes_requested";
  assigneeStatus: "today" | "upcoming" | "later" | "new" | "inbox";
  createdAt: number;
  modifiedAt: number;
  creator: number;
  assignee: number | null;
  assignedBy: number | null;
  completed: boolean;
  completedAt: number | null;
  completedBy: number | null;
  dueOn: number | null;
  dueAt: number | null;
  startOn: number | null;
  notes: string;
  likes: Like[];
  followers: number[];
  tags: number[];
  actualTimeMinutes: number | null;
  externalId: string | null;
}

export type StoryKind = "comment_added" | "assigned" | "marked_complete" | "due_date_changed" | "added_to_project" | "tagged";

export interface StoryFacts {
  gid: string;
  task: number;
  kind: StoryKind;
  createdAt: number;
  creator: number;
  text: string;
  isPinned: boolean;
  isEdited: boolean;
  likes: Like[];
  source: "web" | "email" | "mobile" | "api" | "unknown";
  /** Meaningful for some kinds only (assignee: assigned; project: added_to_project; tag: tagged). */
  assignee: number | null;
  project: number | null;
  tag: number | null;
  oldDueOn: number | null;
  newDueOn: number | null;
}

export interface AttachmentFacts {
  gid: string;
  /** The parent: a task ordinal or a project index. */
  parent: { kind: "task"; ordinal: number } | { kind: "project"; index: number };
  name: string;
  host: string;
  createdAt: number;
  size: number;
}

export interface StatusUpdateFacts {
  gid: string;
  project: number;
  title: string;
  statusType: "on_track" | "at_risk" | "off_track" | "on_hold" | "complete";
  text: string;
  author: number;
  createdAt: number;
  likes: Like[];
}

export interface TagFacts {
  gid: string;
  index: number;
  workspace: number;
  name: string;
  color: string | null;
  notes: string;
  createdAt: number;
  followers: number[];
}

export interface TemplateFacts {
  gid: string;
  index: number;
  workspace: number;
  team: number;
  name: string;
  description: string;
  isPublic: boolean;
  owner: number | null;
  color: string | null;
  requestedDates: { gid: string; name: string; description: string }[];
  requestedRoles: { gid: string; name: string }[];
}

export interface WebhookFacts {
  gid: string;
  index: number;
  workspace: number;
  /** The watched resource: a project index, or -1 for the workspace itself. */
  project: number;
  active: boolean;
  target: string;
  createdAt: number;
  lastSuccessAt: number;
  lastFailureAt: number;
  lastFailureContent: string;
  deliveryRetryCount: number;
}

export type CustomFieldType = (typeof CUSTOM_FIELD_DEFINITIONS)[number]["type"];

export interface EnumOptionFacts {
  gid: string;
  name: string;
  color: string;
  enabled: boolean;
}

/** A workspace's custom field definition. */
export interface CustomFieldFacts {
  gid: string;
  index: number;
  workspace: number;
  name: string;
  type: CustomFieldType;
  description: string;
  /** Enum and multi-enum fields only (empty otherwise). */
  options: EnumOptionFacts[];
  /** Number fields only. */
  precision: number | null;
  currencyCode: string | null;
  /** Text fields: the values' prefix. */
  textPrefix: string | null;
  creator: number;
  notifications: boolean;
}

/** A custom field on a project (what the project's tasks get a value slot for). */
export interface CustomFieldSettingFacts {
  gid: string;
  project: number;
  /** The custom field's index. */
  field: number;
  isImportant: boolean;
}

/** A set value of a task's custom field (option indices point into the field's `options`). */
export type CustomFieldValue =
  | { type: "text"; text: string }
  | { type: "number"; number: number }
  | { type: "enum"; option: number }
  | { type: "multi_enum"; options: number[] }
  | { type: "date"; date: number }
  | { type: "people"; users: number[] };

/** One custom field of a task: the field's index and its value (null when unset). */
export interface TaskCustomField {
  field: number;
  value: CustomFieldValue | null;
}

const COLORS = [
  "dark-pink", "dark-green", "dark-blue", "dark-red", "dark-teal", "dark-brown", "dark-orange", "dark-purple",
  "dark-warm-gray", "light-pink", "light-green", "light-blue", "light-red", "light-teal", "light-brown",
  "light-orange", "light-purple", "light-warm-gray",
] as const;
const ICONS = ["list", "board", "timeline", "calendar", "rocket", "people", "graph", "star", "bug", "light_bulb", "globe", "gear"] as const;
const STATUS_TYPES = ["on_track", "at_risk", "off_track", "on_hold", "complete"] as const;
const ASSIGNEE_STATUSES = ["today", "upcoming", "later", "new", "inbox"] as const;
const APPROVAL_STATUSES = ["pending", "approved", "rejected", "changes_requested"] as const;
const STORY_SOURCES = ["web", "web", "web", "mobile", "api", "email"] as const;

/** Seconds precision, like Asana's timestamps. */
function second(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function day(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

export class Facts {
  constructor(
    readonly structure: Structure,
    private readonly rng: SeededRandom,
    readonly gids: GidCodec,
    readonly overlay: Overlay = new Overlay(),
  ) {}

  /** A time in [from, to], seconds precision. */
  private between(from: number, to: number, salt: string, ...indices: number[]): number {
    return second(from + this.rng.float(salt, ...indices) * Math.max(0, to - from));
  }

  private likes(sourceKind: number, objectIndex: number, workspace: number, salt: string): Like[] {
    const users = this.structure.workspaces[workspace]!.users;
    const n = this.rng.chance(0.25, `${salt}.liked`, objectIndex) ? this.rng.int(1, Math.min(3, users.length), `${salt}.likes`, objectIndex) : 0;
    return this.rng.sample(users, n, `${salt}.likers`, objectIndex).map((user, j) => ({
      gid: this.gids.encode(KIND.like, (sourceKind * 1_000_000_000 + objectIndex) * LIKES_PER_OBJECT_SLOT + j),
      user,
    }));
  }

  private workspaceUser(workspace: number, salt: string, ...indices: number[]): number {
    return this.rng.pick(this.structure.workspaces[workspace]!.users, salt, ...indices);
  }

  // --- organisation ------------------------------------------------------------------------------

  workspace(index: number): WorkspaceFacts {
    const ws = this.structure.workspaces[index]!;
    const company = COMPANY_NAMES[(this.rng.uint32("workspace.company") + index) % COMPANY_NAMES.length]!;
    const domain = `${company.toLowerCase().replace(/[^a-z]/g, "")}.example.com`;
    return {
      gid: this.gids.encode(KIND.workspace, index),
      index,
      name: ws.organization ? `${company} Inc.` : "Personal Projects",
      organization: ws.organization,
      emailDomains: ws.organization ? [domain] : [],
    };
  }

  private organizationDomain(): string {
    return this.workspace(0).emailDomains[0] ?? "example.com";
  }

  user(index: number): UserFacts {
    const first = this.rng.pick(FIRST_NAMES, "user.first", index);
    const last = this.rng.pick(LAST_NAMES, "user.last", index);
    return {
      gid: this.gids.encode(KIND.user, index),
      index,
      name: `${first} ${last}`,
      email: `${first.toLowerCase()}.${last.toLowerCase()}.${index}@${this.organizationDomain()}`,
      hasPhoto: this.rng.chance(0.6, "user.photo", index),
      workspaces: this.structure.users[index]!.workspaces,
    };
  }

  team(index: number): TeamFacts {
    const node = this.structure.teams[index]!;
    const base = TEAM_NAMES[(this.rng.uint32("team.name") + index) % TEAM_NAMES.length]!;
    const round = Math.floor(index / TEAM_NAMES.length);
    return {
      gid: this.gids.encode(KIND.team, index),
      index,
      workspace: node.workspace,
      name: round === 0 ? base : `${base} ${round + 1}`,
      description: `The ${base} team.`,
      visibility: this.rng.pick(["public", "public", "request_to_join", "secret"] as const, "team.visibility", index),
      adminsOnly: this.rng.chance(0.3, "team.admins-only", index),
      endorsed: this.rng.chance(0.2, "team.endorsed", index),
    };
  }

  teamMembership(index: number): TeamMembershipFacts {
    const node = this.structure.teamMemberships[index]!;
    const team = this.structure.teams[node.team]!;
    return {
      gid: this.gids.encode(KIND.teamMembership, index),
      team: node.team,
      user: node.user,
      isAdmin: node.user === 0 || team.memberships[1] === index,
      isGuest: node.user !== 0 && this.rng.chance(0.05, "team-membership.guest", index),
      isLimitedAccess: false,
    };
  }

  workspaceMembership(index: number): WorkspaceMembershipFacts {
    const node = this.structure.workspaceMemberships[index]!;
    return {
      gid: this.gids.encode(KIND.workspaceMembership, index),
      index,
      workspace: node.workspace,
      user: node.user,
      userTaskListGid: this.gids.encode(KIND.userTaskList, index),
      isAdmin: node.user === 0,
      isGuest: node.user !== 0 && this.rng.chance(0.05, "workspace-membership.guest", index),
      createdAt: this.between(DATA_START - 200 * DAY, DATA_START, "workspace-membership.created", index),
    };
  }

  // --- projects ----------------------------------------------------------------------------------

  projectCreatedAt(index: number): number {
    return this.between(DATA_START, DATA_START + 300 * DAY, "project.created", index);
  }

  project(index: number): ProjectFacts {
    const node = this.structure.projects[index]!;
    const ws = this.structure.workspaces[node.workspace]!;
    const createdAt = this.projectCreatedAt(index);
    const modifiedAt = this.between(createdAt, DATA_END, "project.modified", index);
    const topic = PROJECT_TOPICS[(this.rng.uint32("project.topic") + index) % PROJECT_TOPICS.length]!;
    const round = Math.floor(index / PROJECT_TOPICS.length);
    const owner = this.workspaceUser(node.workspace, "project.owner", index);
    const teamMembers = node.team >= 0 ? this.structure.teams[node.team]!.memberships.map((m) => this.structure.teamMemberships[m]!.user) : ws.users;
    const members = [...new Set([owner, ...this.rng.sample(teamMembers, 4, "project.members", index)])].sort((a, b) => a - b);
    const archived = node.role === "archived";
    const completed = archived && this.rng.chance(0.5, "project.completed", index);
    const hasDue = this.rng.chance(0.6, "project.due", index);
    const dueOn = hasDue ? day(this.between(createdAt + 30 * DAY, DATA_END + 90 * DAY, "project.due-on", index)) : null;
    const templates = ws.templates;
    return {
      gid: this.gids.encode(KIND.project, index),
      index,
      workspace: node.workspace,
      team: node.team,
      name: round === 0 ? topic : `${topic} ${round + 1}`,
      archived,
      color: this.rng.pick(COLORS, "project.color", index),
      icon: this.rng.chance(0.5, "project.has-icon", index) ? this.rng.pick(ICONS, "project.icon", index) : null,
      createdAt,
      modifiedAt,
      dueOn,
      startOn: hasDue && this.rng.chance(0.5, "project.start", index) ? day(createdAt) : null,
      notes: `Everything about ${topic.toLowerCase()}.`,
      owner,
      members,
      followers: members.slice(0, 2),
      isPublic: node.team >= 0 && this.rng.chance(0.7, "project.public", index),
      privacy: node.team < 0 ? "private" : this.rng.pick(["public_to_workspace", "private_to_team", "private"] as const, "project.privacy", index),
      defaultView: this.rng.pick(["list", "list", "board", "calendar", "timeline"] as const, "project.view", index),
      completed,
      completedAt: completed ? modifiedAt : null,
      completedBy: completed ? owner : null,
      fromTemplate: templates.length > 0 && this.rng.chance(0.2, "project.from-template", index) ? this.rng.pick(templates, "project.template", index) : -1,
    };
  }

  section(index: number): SectionFacts {
    const node = this.structure.sections[index]!;
    const project = this.structure.projects[node.project]!;
    const position = project.sections.indexOf(index);
    return {
      gid: this.gids.encode(KIND.section, index),
      index,
      project: node.project,
      name: project.role === "empty" ? "Untitled section" : SECTION_NAMES[position % SECTION_NAMES.length]!,
      // Sections come with the project (the first one) or a little later.
      createdAt: this.projectCreatedAt(node.project) + (position === 0 ? 0 : this.between(0, 20 * DAY, "section.created", index)),
    };
  }

  // --- tasks -------------------------------------------------------------------------------------

  /** When the task's container came to be: its first project, or its parent task. */
  private taskOrigin(ordinal: number): number {
    const node = this.structure.tasks[ordinal]!;
    if (node.parent >= 0) return this.taskCreatedAt(node.parent);
    const project = node.projects[0];
    return project === undefined ? DATA_START : this.projectCreatedAt(project);
  }

  private taskCreatedAt(ordinal: number): number {
    const origin = this.taskOrigin(ordinal);
    return this.between(origin, origin + (DATA_END - origin) * 0.7, "task.created", ordinal);
  }

  /** A task's facts, with the overlay's patches. */
  task(ordinal: number): TaskFacts {
    const base = this.baseTask(ordinal);
    const patch = this.overlay.patch(ordinal);
    return patch === undefined ? base : { ...base, ...patch };
  }

  /** A task's generated facts (what its generated stories and attachments derive from). */
  private baseTask(ordinal: number): TaskFacts {
    const node = this.structure.tasks[ordinal]!;
    const r = this.rng;
    const createdAt = this.taskCreatedAt(ordinal);
    const modifiedAt = this.between(createdAt, DATA_END, "task.modified", ordinal);
    const roll = r.float("task.subtype", ordinal);
    const subtype: TaskSubtype = roll < 0.05 ? "milestone" : roll < 0.08 ? "approval" : "default_task";
    const creator = this.workspaceUser(node.workspace, "task.creator", ordinal);
    const assignee = this.taskAssignee(ordinal);
    const completed = r.chance(0.35, "task.completed", ordinal);
    const completedAt = completed ? this.between(createdAt, modifiedAt, "task.completed-at", ordinal) : null;
    const dueAt = r.chance(0.1, "task.due-at", ordinal) ? this.between(createdAt, DATA_END + 60 * DAY, "task.due-at.value", ordinal) : null;
    const dueOn = dueAt !== null ? day(dueAt) : r.chance(0.5, "task.due-on", ordinal) ? day(this.between(createdAt, DATA_END + 60 * DAY, "task.due-on.value", ordinal)) : null;
    const startOn = subtype !== "milestone" && dueOn !== null && r.chance(0.3, "task.start-on", ordinal) ? day(createdAt) : null;
    const likes = this.likes(KIND.task, ordinal, node.workspace, "task");
    const verb = r.pick(TASK_VERBS, "task.verb", ordinal);
    const object = r.pick(TASK_OBJECTS, "task.object", ordinal);
    return {
      gid: this.gids.encode(KIND.task, ordinal),
      ordinal,
      workspace: node.workspace,
      name: node.depth === 0 ? `${verb} ${object}` : `${verb} ${object} (step ${node.depth}.${ordinal % 10})`,
      subtype,
      approvalStatus: subtype === "approval" ? r.pick(APPROVAL_STATUSES, "task.approval", ordinal) : "pending",
      assigneeStatus: r.pick(ASSIGNEE_STATUSES, "task.assignee-status", ordinal),
      createdAt,
      modifiedAt,
      creator,
      assignee,
      assignedBy: assignee === null ? null : creator,
      completed,
      completedAt,
      completedBy: completed ? (assignee ?? creator) : null,
      dueOn,
      dueAt,
      startOn,
      notes: r.chance(0.6, "task.has-notes", ordinal) ? `Notes for "${verb.toLowerCase()} ${object}".` : "",
      likes,
      followers: [...new Set([creator, ...(assignee === null ? [] : [assignee])])],
      tags: this.taskTags(ordinal),
      actualTimeMinutes: r.chance(0.15, "task.time", ordinal) ? r.int(5, 480, "task.time.value", ordinal) : null,
      externalId: r.chance(0.05, "task.external", ordinal) ? `sim-ext-${ordinal}` : null,
    };
  }

  /** The assignee alone (cheap: used to filter `GET /tasks?assignee=`). */
  taskAssignee(ordinal: number): number | null {
    const workspace = this.structure.tasks[ordinal]!.workspace;
    return this.rng.chance(0.7, "task.assigned", ordinal) ? this.workspaceUser(workspace, "task.assignee", ordinal) : null;
  }

  /** The tags alone (cheap: used to filter `GET /tasks?tag=`). */
  taskTags(ordinal: number): number[] {
    const wsTags = this.structure.workspaces[this.structure.tasks[ordinal]!.workspace]!.tags;
    if (wsTags.length === 0 || !this.rng.chance(0.3, "task.tagged", ordinal)) return [];
    return this.rng.sample(wsTags, this.rng.int(1, 2, "task.tag-count", ordinal), "task.tags", ordinal).sort((a, b) => a - b);
  }

  /** Direct subtasks of a task, in order. */
  subtasks(ordinal: number): readonly number[] {
    return this.structure.tasks[ordinal]!.children;
  }

  /** Tasks of the same first project this task depends on (the previous one, sometimes). */
  dependencies(ordinal: number): number[] {
    const node = this.structure.tasks[ordinal]!;
    if (node.homeIndex <= 0 || !this.rng.chance(0.05, "task.depends", ordinal)) return [];
    return [this.structure.projects[node.projects[0]!]!.homeTasks[node.homeIndex - 1]!];
  }

  dependents(ordinal: number): number[] {
    const node = this.structure.tasks[ordinal]!;
    if (node.homeIndex < 0) return [];
    const next = this.structure.projects[node.projects[0]!]!.homeTasks[node.homeIndex + 1];
    return next !== undefined && this.dependencies(next).includes(ordinal) ? [next] : [];
  }

  // --- stories, attachments, status updates (never materialised) ------------------------------------

  /** Generated stories of a task (none for a task created by a mutation). */
  private baseStoryCount(ordinal: number): number {
    return this.overlay.created.has(ordinal) ? 0 : this.rng.int(0, 5, "task.story-count", ordinal);
  }

  storyCount(ordinal: number): number {
    const deleted = this.overlay.deletedStories;
    const all = this.baseStoryCount(ordinal) + this.overlay.stories(ordinal).length;
    return deleted.size === 0 ? all : this.storyGids(ordinal).length;
  }

  /** The gids of a task's stories, oldest first (without building them). */
  storyGids(ordinal: number): string[] {
    const n = this.baseStoryCount(ordinal);
    const out = Array.from({ length: n }, (_, j) => this.gids.encode(KIND.story, ordinal * STORIES_PER_TASK_SLOT + j));
    for (const story of this.overlay.stories(ordinal)) out.push(story.gid);
    const deleted = this.overlay.deletedStories;
    return deleted.size === 0 ? out : out.filter((gid) => !deleted.has(gid));
  }

  /** The stories of a task, oldest first. */
  stories(ordinal: number): StoryFacts[] {
    const extra = this.overlay.stories(ordinal);
    const all = extra.length === 0 ? this.baseStories(ordinal) : [...this.baseStories(ordinal), ...extra];
    const deleted = this.overlay.deletedStories;
    return deleted.size === 0 ? all : all.filter((story) => !deleted.has(story.gid));
  }

  private baseStories(ordinal: number): StoryFacts[] {
    const n = this.baseStoryCount(ordinal);
    if (n === 0) return [];
    const task = this.baseTask(ordinal);
    const node = this.structure.tasks[ordinal]!;
    const out: StoryFacts[] = [];
    for (let j = 0; j < n; j++) {
      const index = ordinal * STORIES_PER_TASK_SLOT + j;
      const slotStart = task.createdAt + ((task.modifiedAt - task.createdAt) * j) / n;
      const slotEnd = task.createdAt + ((task.modifiedAt - task.createdAt) * (j + 1)) / n;
      const createdAt = j === 0 ? task.createdAt : this.between(slotStart, slotEnd, "story.created", index);
      out.push(this.story(task, node.projects, index, j, createdAt));
    }
    return out;
  }

  private story(task: TaskFacts, projects: readonly number[], index: number, j: number, createdAt: number): StoryFacts {
    const r = this.rng;
    let kind: StoryKind;
    if (j === 0 && projects.length > 0) kind = "added_to_project";
    else {
      const options: StoryKind[] = ["comment_added", "comment_added", "comment_added"];
      if (task.assignee !== null) options.push("assigned");
      if (task.completed) options.push("marked_complete");
      if (task.dueOn !== null) options.push("due_date_changed");
      if (task.tags.length > 0) options.push("tagged");
      kind = r.pick(options, "story.kind", index);
    }
    const creator = kind === "marked_complete" && task.completedBy !== null ? task.completedBy : this.workspaceUser(task.workspace, "story.creator", index);
    const base: StoryFacts = {
      gid: this.gids.encode(KIND.story, index),
      task: task.ordinal,
      kind,
      createdAt,
      creator,
      text: "",
      isPinned: false,
      isEdited: false,
      likes: [],
      source: r.pick(STORY_SOURCES, "story.source", index),
      assignee: null,
      project: null,
      tag: null,
      oldDueOn: null,
      newDueOn: null,
    };
    switch (kind) {
      case "comment_added":
        return {
          ...base,
          text: r.pick(COMMENTS, "story.comment", index),
          isPinned: r.chance(0.05, "story.pinned", index),
          isEdited: r.chance(0.1, "story.edited", index),
          likes: this.likes(KIND.story, index, task.workspace, "story"),
        };
      case "assigned":
        return { ...base, assignee: task.assignee, text: `assigned to ${this.user(task.assignee!).name}` };
      case "marked_complete":
        return { ...base, text: "marked this task complete" };
      case "due_date_changed": {
        const oldDueOn = day(task.dueOn! - r.int(1, 14, "story.old-due", index) * DAY);
        return { ...base, oldDueOn, newDueOn: task.dueOn, text: `changed the due date to ${new Date(task.dueOn!).toISOString().slice(0, 10)}` };
      }
      case "added_to_project":
        return { ...base, project: projects[0]!, text: `added to ${this.project(projects[0]!).name}` };
      case "tagged":
        return { ...base, tag: task.tags[0]!, text: `added tag ${this.tag(task.tags[0]!).name}` };
    }
  }

  /** Look a story up by its index (task ordinal * slot + position); undefined if it does not exist. */
  storyByIndex(index: number): StoryFacts | undefined {
    if (index >= EXTRA_INDEX_BASE) return this.overlay.storyByIndex(index);
    const ordinal = Math.floor(index / STORIES_PER_TASK_SLOT);
    if (ordinal >= this.structure.tasks.length) return undefined;
    return this.baseStories(ordinal)[index % STORIES_PER_TASK_SLOT];
  }

  private attachmentCount(salt: string, index: number): number {
    const roll = this.rng.float(salt, index);
    return roll < 0.55 ? 0 : roll < 0.85 ? 1 : 2;
  }

  private baseTaskAttachmentCount(ordinal: number): number {
    return this.overlay.created.has(ordinal) ? 0 : this.attachmentCount("task.attachment-count", ordinal);
  }

  taskAttachmentCount(ordinal: number): number {
    return this.baseTaskAttachmentCount(ordinal) + this.overlay.attachments(ordinal).length;
  }

  /** The gids of a task's attachments, in API order (without building them). */
  taskAttachmentGids(ordinal: number): string[] {
    const n = this.baseTaskAttachmentCount(ordinal);
    const out = Array.from({ length: n }, (_, j) => this.gids.encode(KIND.taskAttachment, ordinal * ATTACHMENTS_PER_PARENT_SLOT + j));
    for (const attachment of this.overlay.attachments(ordinal)) out.push(attachment.gid);
    return out;
  }

  projectAttachmentCount(index: number): number {
    return this.attachmentCount("project.attachment-count", index);
  }

  statusUpdateCount(projectIndex: number): number {
    return this.rng.int(0, 3, "project.status-count", projectIndex);
  }

  taskAttachments(ordinal: number): AttachmentFacts[] {
    const extra = this.overlay.attachments(ordinal);
    return extra.length === 0 ? this.baseTaskAttachments(ordinal) : [...this.baseTaskAttachments(ordinal), ...extra];
  }

  private baseTaskAttachments(ordinal: number): AttachmentFacts[] {
    const n = this.baseTaskAttachmentCount(ordinal);
    if (n === 0) return [];
    const task = this.baseTask(ordinal);
    return Array.from({ length: n }, (_, j) =>
      this.attachment(KIND.taskAttachment, ordinal * ATTACHMENTS_PER_PARENT_SLOT + j, { kind: "task", ordinal }, task.createdAt, task.modifiedAt),
    );
  }

  projectAttachments(index: number): AttachmentFacts[] {
    const n = this.projectAttachmentCount(index);
    if (n === 0) return [];
    const project = this.project(index);
    return Array.from({ length: n }, (_, j) =>
      this.attachment(KIND.projectAttachment, index * ATTACHMENTS_PER_PARENT_SLOT + j, { kind: "project", index }, project.createdAt, project.modifiedAt),
    );
  }

  private attachment(kind: typeof KIND.taskAttachment | typeof KIND.projectAttachment, index: number, parent: AttachmentFacts["parent"], from: number, to: number): AttachmentFacts {
    const r = this.rng;
    const type = r.pick(FILE_TYPES, "attachment.type", kind, index);
    return {
      gid: this.gids.encode(kind, index),
      parent,
      name: `${r.pick(FILE_NAMES, "attachment.name", kind, index)}-${index % 1000}.${type.extension}`,
      host: type.host,
      createdAt: this.between(from, to, "attachment.created", kind, index),
      size: r.int(2_000, 8_000_000, "attachment.size", kind, index),
    };
  }

  statusUpdates(projectIndex: number): StatusUpdateFacts[] {
    const n = this.statusUpdateCount(projectIndex);
    if (n === 0) return [];
    const project = this.project(projectIndex);
    const out: StatusUpdateFacts[] = [];
    for (let j = 0; j < n; j++) {
      const index = projectIndex * STATUS_UPDATES_PER_PROJECT_SLOT + j;
      const slotStart = project.createdAt + ((DATA_END - project.createdAt) * j) / n;
      const slotEnd = project.createdAt + ((DATA_END - project.createdAt) * (j + 1)) / n;
      const statusType = project.completed && j === n - 1 ? "complete" : this.rng.pick(STATUS_TYPES.slice(0, 4), "status.type", index);
      out.push({
        gid: this.gids.encode(KIND.statusUpdate, index),
        project: projectIndex,
        title: `${this.rng.pick(STATUS_TITLES, "status.title", index)} #${j + 1}`,
        statusType,
        text: `${project.name} is ${statusType.replace(/_/g, " ")}.`,
        author: project.owner,
        createdAt: this.between(slotStart, slotEnd, "status.created", index),
        likes: this.likes(KIND.statusUpdate, index, project.workspace, "status"),
      });
    }
    return out;
  }

  /** Look a status update up by its index (project index * slot + position). */
  statusUpdateByIndex(index: number): StatusUpdateFacts | undefined {
    const project = Math.floor(index / STATUS_UPDATES_PER_PROJECT_SLOT);
    if (project >= this.structure.projects.length) return undefined;
    return this.statusUpdates(project)[index % STATUS_UPDATES_PER_PROJECT_SLOT];
  }

  taskAttachmentByIndex(index: number): AttachmentFacts | undefined {
    if (index >= EXTRA_INDEX_BASE) return this.overlay.attachmentByIndex(index);
    const ordinal = Math.floor(index / ATTACHMENTS_PER_PARENT_SLOT);
    if (ordinal >= this.structure.tasks.length) return undefined;
    return this.baseTaskAttachments(ordinal)[index % ATTACHMENTS_PER_PARENT_SLOT];
  }

  projectAttachmentByIndex(index: number): AttachmentFacts | undefined {
    const project = Math.floor(index / ATTACHMENTS_PER_PARENT_SLOT);
    if (project >= this.structure.projects.length) return undefined;
    return this.projectAttachments(project)[index % ATTACHMENTS_PER_PARENT_SLOT];
  }

  // --- custom fields ------------------------------------------------------------------------------

  /** The custom field indices of a workspace (an organization has them all, a personal workspace half). */
  customFields(workspace: number): number[] {
    const n = this.structure.workspaces[workspace]!.organization ? CUSTOM_FIELD_DEFINITIONS.length : Math.ceil(CUSTOM_FIELD_DEFINITIONS.length / 2);
    return Array.from({ length: n }, (_, k) => workspace * CUSTOM_FIELDS_PER_WORKSPACE_SLOT + k);
  }

  /** Custom fields and project settings are few and asked for by every task: built once each. */
  private readonly customFieldCache = new Map<number, CustomFieldFacts>();
  private readonly settingsCache = new Map<number, CustomFieldSettingFacts[]>();

  customField(index: number): CustomFieldFacts {
    let field = this.customFieldCache.get(index);
    if (field === undefined) {
      field = this.buildCustomField(index);
      this.customFieldCache.set(index, field);
    }
    return field;
  }

  private buildCustomField(index: number): CustomFieldFacts {
    const workspace = Math.floor(index / CUSTOM_FIELDS_PER_WORKSPACE_SLOT);
    const def: (typeof CUSTOM_FIELD_DEFINITIONS)[number] = CUSTOM_FIELD_DEFINITIONS[index % CUSTOM_FIELDS_PER_WORKSPACE_SLOT]!;
    const options =
      "options" in def
        ? def.options.map((name, j) => {
            const option = index * ENUM_OPTIONS_PER_FIELD_SLOT + j;
            return {
              gid: this.gids.encode(KIND.enumOption, option),
              name,
              color: this.rng.pick(ENUM_OPTION_COLORS, "enum-option.color", option),
              // Options can be disabled later; the first one of each field stays enabled.
              enabled: j === 0 || !this.rng.chance(0.1, "enum-option.disabled", option),
            };
          })
        : [];
    return {
      gid: this.gids.encode(KIND.customField, index),
      index,
      workspace,
      name: def.name,
      type: def.type,
      description: `${def.name} of the work.`,
      options,
      precision: "precision" in def ? def.precision : null,
      currencyCode: "currency" in def ? def.currency : null,
      textPrefix: "prefix" in def ? def.prefix : null,
      creator: this.workspaceUser(workspace, "custom-field.creator", index),
      notifications: this.rng.chance(0.5, "custom-field.notifications", index),
    };
  }

  /**
   * The custom fields a project shows, in workspace order: one chosen by the project's index (so
   * even a few projects cover every type) and each other one three times in ten.
   */
  customFieldSettings(project: number): readonly CustomFieldSettingFacts[] {
    let settings = this.settingsCache.get(project);
    if (settings === undefined) {
      settings = this.buildCustomFieldSettings(project);
      this.settingsCache.set(project, settings);
    }
    return settings;
  }

  private buildCustomFieldSettings(project: number): CustomFieldSettingFacts[] {
    const node = this.structure.projects[project]!;
    const out: CustomFieldSettingFacts[] = [];
    const fields = this.customFields(node.workspace);
    for (const field of fields) {
      const k = field % CUSTOM_FIELDS_PER_WORKSPACE_SLOT;
      if (k !== project % fields.length && !this.rng.chance(0.3, "project.custom-field", project, k)) continue;
      out.push({
        gid: this.gids.encode(KIND.customFieldSetting, project * CUSTOM_FIELDS_PER_WORKSPACE_SLOT + k),
        project,
        field,
        isImportant: this.rng.chance(0.4, "project.custom-field.important", project, k),
      });
    }
    return out;
  }

  /**
   * A task's custom fields: those of its projects' settings (first appearance first; none for a
   * task in no project), each set with a seeded value three times in four.
   */
  taskCustomFields(ordinal: number): TaskCustomField[] {
    const node = this.structure.tasks[ordinal]!;
    if (node.projects.length === 0) return [];
    const fields: number[] = [];
    for (const project of node.projects) for (const setting of this.customFieldSettings(project)) if (!fields.includes(setting.field)) fields.push(setting.field);
    return fields.map((field) => ({ field, value: this.rng.chance(0.75, "task.custom-field.set", ordinal, field) ? this.customFieldValue(ordinal, field) : null }));
  }

  private customFieldValue(ordinal: number, field: number): CustomFieldValue {
    const f = this.customField(field);
    const r = this.rng;
    const enabled = f.options.map((o, j) => (o.enabled ? j : -1)).filter((j) => j >= 0);
    switch (f.type) {
      case "text":
        return { type: "text", text: `${f.textPrefix ?? "REF"}-${1000 + ordinal}` };
      case "number": {
        const scale = 10 ** (f.precision ?? 0);
        return { type: "number", number: r.int(0, 100 * scale, "task.custom-field.number", ordinal, field) / scale };
      }
      case "enum":
        return { type: "enum", option: r.pick(enabled, "task.custom-field.enum", ordinal, field) };
      case "multi_enum": {
        const options = r.sample(enabled, r.int(1, 2, "task.custom-field.multi-count", ordinal, field), "task.custom-field.multi", ordinal, field);
        return { type: "multi_enum", options: options.sort((a, b) => a - b) };
      }
      case "date":
        return { type: "date", date: day(this.between(DATA_START, DATA_END, "task.custom-field.date", ordinal, field)) };
      case "people": {
        const users = this.structure.workspaces[f.workspace]!.users;
        const picked = r.sample(users, r.int(1, 2, "task.custom-field.people-count", ordinal, field), "task.custom-field.people", ordinal, field);
        return { type: "people", users: picked.sort((a, b) => a - b) };
      }
    }
  }

  // --- workspace-level lists -----------------------------------------------------------------------

  tag(index: number): TagFacts {
    const node = this.structure.tags[index]!;
    const base = TAG_NAMES[(this.rng.uint32("tag.name") + index) % TAG_NAMES.length]!;
    const round = Math.floor(index / TAG_NAMES.length);
    return {
      gid: this.gids.encode(KIND.tag, index),
      index,
      workspace: node.workspace,
      name: round === 0 ? base : `${base}-${round + 1}`,
      color: this.rng.chance(0.8, "tag.colored", index) ? this.rng.pick(COLORS, "tag.color", index) : null,
      notes: "",
      createdAt: this.between(DATA_START, DATA_START + 200 * DAY, "tag.created", index),
      followers: [this.workspaceUser(node.workspace, "tag.follower", index)],
    };
  }

  template(index: number): TemplateFacts {
    const node = this.structure.templates[index]!;
    const topic = this.rng.pick(PROJECT_TOPICS, "template.topic", index);
    const withDates = this.rng.chance(0.5, "template.dates", index);
    const withRoles = this.rng.chance(0.5, "template.roles", index);
    return {
      gid: this.gids.encode(KIND.projectTemplate, index),
      index,
      workspace: node.workspace,
      team: node.team,
      name: `${topic} template`,
      description: `A starting point for ${topic.toLowerCase()} projects.`,
      isPublic: this.rng.chance(0.5, "template.public", index),
      owner: this.rng.chance(0.8, "template.owned", index) ? this.workspaceUser(node.workspace, "template.owner", index) : null,
      color: this.rng.chance(0.8, "template.colored", index) ? this.rng.pick(COLORS, "template.color", index) : null,
      requestedDates: withDates ? [{ gid: this.gids.encode(KIND.dateVariable, index), name: "Start date", description: "Choose a start date for your project." }] : [],
      requestedRoles: withRoles ? [{ gid: this.gids.encode(KIND.templateRole, index), name: "Project lead" }] : [],
    };
  }

  webhook(index: number): WebhookFacts {
    const node = this.structure.webhooks[index]!;
    const projects = this.structure.workspaces[node.workspace]!.projects;
    const project = projects.length > 0 && this.rng.chance(0.8, "webhook.on-project", index) ? this.rng.pick(projects, "webhook.project", index) : -1;
    const createdAt = this.between(DATA_START, DATA_END - 30 * DAY, "webhook.created", index);
    const active = this.rng.chance(0.8, "webhook.active", index);
    return {
      gid: this.gids.encode(KIND.webhook, index),
      index,
      workspace: node.workspace,
      project,
      active,
      target: `https://hooks.example.com/asana/${index + 1}`,
      createdAt,
      lastSuccessAt: this.between(createdAt, DATA_END, "webhook.success", index),
      lastFailureAt: this.between(createdAt, DATA_END, "webhook.failure", index),
      lastFailureContent: active ? "" : "500 Internal Server Error",
      deliveryRetryCount: active ? 0 : this.rng.int(1, 5, "webhook.retries", index),
    };
  }
}
