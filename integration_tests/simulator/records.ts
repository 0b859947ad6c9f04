/**
 * Asana's JSON shapes: the records built from facts (facts.ts), before projection.
 *
 * A builder sets the fields that mean something for the record; `complete` then gives the record
 * exactly the properties of the stream's OAS `<X>Response` schema (fields.ts), in spec order, and
 * every nested object of level 1 or 2 every property of its component, with null for everything
 * the builder did not set: real Asana sends null for fields the spec calls non-nullable
 * (approval fields on ordinary tasks, per-subtype story fields, sizes of externally hosted
 * attachments...). Nested references carry what the builder knows (gid, resource_type, name...);
 * projection.ts decides how much of them a response shows.
 *
 * On top of that, deterministically from the seed (per record gid and field), about 5 % of the
 * descriptive top-level fields are null even where the builder has a value, and about 3 % of the
 * enum fields carry a value the spec does not list: clients must treat every field but `gid` as
 * nullable and no vocabulary as closed. `STRUCTURAL_FIELDS` lists the fields exempt from both.
 */
import type { AttachmentFacts, CustomFieldFacts, CustomFieldSettingFacts, Facts, Like, StatusUpdateFacts, StoryFacts, TaskCustomField } from "./facts.js";
import { type FieldSpec, RECORD_FIELDS, type StreamName } from "./fields.js";
import { fmix32, fnv1a, type SeededRandom } from "./random.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type ApiRecord = { [key: string]: Json };

const APP_URL = "https://app.asana.com";
const ASSET_URL = "https://sim-assets.example.com";

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function isoTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms);
}

function isoDateOrNull(ms: number | null): string | null {
  return ms === null ? null : isoDate(ms);
}

function html(text: string): string {
  const escaped = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<body>${escaped}</body>`;
}

/** Share of descriptive top-level fields that are null although the builder has a value. */
export const NULL_RATE = 0.05;
/** Share of non-null enum values (exempt fields aside) that the spec does not list. */
export const UNLISTED_RATE = 0.03;
/** Candidate unlisted values: the first one the field's enum does not list is used. */
const UNLISTED_VALUES = ["none", "other", "unlisted_value"] as const;

/**
 * Fields never made null by the seeded variation and never given an unlisted value: their null
 * would say something false about structure the connector relies on. `gid`, `resource_type`,
 * `created_at` and `modified_at` everywhere (identity and the incremental cursors); and per stream
 * the fields that place a record in the workspace -> team -> project -> task tree (parents,
 * partitions, de-duplication), the record filters (`is_organization`, `num_subtasks`) and what
 * the Events API reports about a resource (`resource_subtype` of tasks and stories).
 * The builder's own nulls (a top-level task's `parent`, a personal project's `team`) stay.
 */
export const STRUCTURAL_FIELDS: Readonly<Record<StreamName, readonly string[]>> = {
  workspaces: ["is_organization"],
  users: ["workspaces"],
  teams: ["organization"],
  team_memberships: ["user", "team"],
  workspace_memberships: ["user", "workspace"],
  projects: ["workspace", "team"],
  sections: ["project", "projects"],
  tasks: ["resource_subtype", "num_subtasks", "parent", "projects", "memberships", "workspace"],
  subtasks: ["resource_subtype", "num_subtasks", "parent", "projects", "memberships", "workspace"],
  tags: ["workspace"],
  stories: ["resource_subtype", "target", "task"],
  attachments: ["parent"],
  project_templates: ["team"],
  status_updates: ["parent"],
  webhooks: ["resource"],
  custom_fields: ["type"],
  custom_field_settings: ["parent", "custom_field"],
  task_templates: ["project"],
  // The owner decides which portfolios a personal token lists.
  portfolios: ["workspace", "owner"],
  portfolio_items: ["workspace", "team"],
  goals: ["workspace"],
  goal_relationships: ["resource_subtype", "supporting_resource", "supported_goal"],
  time_periods: ["period", "parent"],
  audit_log_events: ["event_type"],
};
const ALWAYS_STRUCTURAL = ["gid", "resource_type", "created_at", "modified_at"];

/** Per stream: the fields open to the variation, with their hash (mixed into the record's roll) and unlisted value. */
interface VariedField {
  name: string;
  code: number;
  unlisted: string | undefined;
}

const VARIED_FIELDS = new Map<StreamName, readonly VariedField[]>();

function variedFields(stream: StreamName): readonly VariedField[] {
  let fields = VARIED_FIELDS.get(stream);
  if (fields === undefined) {
    const exempt = new Set([...ALWAYS_STRUCTURAL, ...STRUCTURAL_FIELDS[stream]]);
    fields = Object.entries(RECORD_FIELDS[stream])
      .filter(([name]) => !exempt.has(name))
      .map(([name, spec]) => ({
        name,
        code: fnv1a(name),
        unlisted: spec.enum === undefined ? undefined : UNLISTED_VALUES.find((v) => !spec.enum!.includes(v)),
      }));
    VARIED_FIELDS.set(stream, fields);
  }
  return fields;
}

type Values = Readonly<Record<string, Json | undefined>>;

/** Property lists as arrays, built once per spec object (completion runs for every record). */
const ENTRIES = new WeakMap<Readonly<Record<string, FieldSpec>>, readonly (readonly [string, FieldSpec])[]>();

function entriesOf(props: Readonly<Record<string, FieldSpec>>): readonly (readonly [string, FieldSpec])[] {
  let entries = ENTRIES.get(props);
  if (entries === undefined) {
    entries = Object.entries(props);
    ENTRIES.set(props, entries);
  }
  return entries;
}

/** A nested value with every property its spec describes (objects at level 1 and 2). */
function completeValue(value: Json | undefined, spec: FieldSpec): Json {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const items = spec.items;
    return items?.properties === undefined ? value : value.map((item) => completeValue(item, items));
  }
  return spec.properties === undefined ? value : completeObject(value, spec.properties, true);
}

/** Spec properties in spec order (null when unset); keys the spec does not know kept after them if `extra`. */
function completeObject(values: Values, props: Readonly<Record<string, FieldSpec>>, extra: boolean): ApiRecord {
  const out: ApiRecord = {};
  let matched = 0;
  for (const [name, spec] of entriesOf(props)) {
    const value = values[name];
    if (value !== undefined) matched++;
    out[name] = completeValue(value, spec);
  }
  if (!extra) return out;
  let present = 0;
  for (const key in values) if (values[key] !== undefined) present++;
  if (present > matched) for (const key in values) if (!Object.hasOwn(props, key) && values[key] !== undefined) out[key] = values[key]!;
  return out;
}

/** Exactly the stream's fields in spec order, nested objects completed, everything unset null. */
export function complete(stream: StreamName, values: Values): ApiRecord {
  return completeObject(values, RECORD_FIELDS[stream], false);
}

/** Builds records from facts: spec-completed (`complete`), with the seeded variation applied. */
export class RecordBuilder {
  constructor(
    private readonly facts: Facts,
    private readonly rng: SeededRandom,
  ) {}

  /** `complete`, then the seeded nulls and unlisted enum values (see the header comment). */
  finish(stream: StreamName, values: Values): ApiRecord {
    const record = complete(stream, values);
    // One seeded hash per record, mixed with each field's own hash: a roll per (record, field).
    const base = this.rng.uint32("vary", Number(record.gid));
    for (const field of variedFields(stream)) {
      if (record[field.name] === null) continue;
      const roll = fmix32(base ^ field.code) / 0x100000000;
      if (roll < NULL_RATE) record[field.name] = null;
      else if (field.unlisted !== undefined && roll < NULL_RATE + UNLISTED_RATE) record[field.name] = field.unlisted;
    }
    return record;
  }

  // --- references ------------------------------------------------------------------------------

  userRef(index: number): ApiRecord {
    const u = this.facts.user(index);
    return { gid: u.gid, resource_type: "user", name: u.name };
  }

  workspaceRef(index: number): ApiRecord {
    const w = this.facts.workspace(index);
    return { gid: w.gid, resource_type: "workspace", name: w.name };
  }

  teamRef(index: number): ApiRecord {
    const t = this.facts.team(index);
    return { gid: t.gid, resource_type: "team", name: t.name };
  }

  projectRef(index: number): ApiRecord {
    const p = this.facts.project(index);
    return { gid: p.gid, resource_type: "project", name: p.name };
  }

  sectionRef(index: number): ApiRecord {
    const s = this.facts.section(index);
    return { gid: s.gid, resource_type: "section", name: s.name };
  }

  taskRef(ordinal: number): ApiRecord {
    const t = this.facts.task(ordinal);
    return { gid: t.gid, resource_type: "task", name: t.name, resource_subtype: t.subtype, created_by: { gid: this.facts.user(t.creator).gid, resource_type: "user" } };
  }

  tagRef(index: number): ApiRecord {
    const t = this.facts.tag(index);
    return { gid: t.gid, resource_type: "tag", name: t.name };
  }

  likes(likes: readonly Like[]): ApiRecord[] {
    return likes.map((like) => ({ gid: like.gid, user: this.userRef(like.user) }));
  }

  private reactionSummary(likes: readonly Like[]): ApiRecord[] {
    if (likes.length === 0) return [];
    return [{ emoji_base: "👍", variant: "👍", count: likes.length, reacted: likes.some((l) => l.user === 0) }];
  }

  // --- custom fields ---------------------------------------------------------------------------

  /** A custom field's definition: CustomFieldResponse without a value. */
  customFieldDefinition(f: CustomFieldFacts): Record<string, Json> {
    const enumLike = f.type === "enum" || f.type === "multi_enum";
    return {
      gid: f.gid,
      resource_type: "custom_field",
      name: f.name,
      type: f.type,
      enum_options: enumLike ? f.options.map((o) => ({ gid: o.gid, resource_type: "enum_option", name: o.name, enabled: o.enabled, color: o.color })) : null,
      enabled: true,
      representation_type: f.type,
      input_restrictions: ["task"],
      is_formula_field: false,
      description: f.description,
      precision: f.precision,
      format: f.type !== "number" ? null : f.currencyCode === null ? "none" : "currency",
      currency_code: f.currencyCode,
      is_global_to_workspace: true,
      has_notifications_enabled: f.notifications,
      is_value_read_only: false,
      created_by: this.userRef(f.creator),
      privacy_setting: "public_with_guests",
      default_access_level: "editor",
      resource_subtype: f.type,
    };
  }

  /** A custom field setting on its parent (a project, or a portfolio: then `project` is null). */
  customFieldSettingValues(cs: { gid: string; field: number; isImportant: boolean }, parent: ApiRecord, project: ApiRecord | null = parent): Record<string, Json> {
    return {
      gid: cs.gid,
      resource_type: "custom_field_setting",
      project,
      is_important: cs.isImportant,
      parent,
      custom_field: this.customFieldDefinition(this.facts.customField(cs.field)),
    };
  }

  /** A workspace's custom field (the custom_fields stream): its definition, no value. */
  customField(index: number): ApiRecord {
    return this.finish("custom_fields", this.customFieldDefinition(this.facts.customField(index)));
  }

  /** A project's custom field setting as the custom_field_settings stream lists it. */
  projectCustomFieldSetting(cs: CustomFieldSettingFacts): ApiRecord {
    return this.finish("custom_field_settings", this.customFieldSettingValues(cs, this.projectRef(cs.project)));
  }

  /** A task's custom field: the definition plus the value fields its type uses (unset: null). */
  private taskCustomField(c: TaskCustomField): Record<string, Json> {
    const f = this.facts.customField(c.field);
    const out = this.customFieldDefinition(f);
    const v = c.value;
    if (v === null) return out;
    const option = (j: number): Json => {
      const o = f.options[j]!;
      return { gid: o.gid, resource_type: "enum_option", name: o.name, enabled: o.enabled, color: o.color };
    };
    switch (v.type) {
      case "text":
        out.text_value = v.text;
        out.display_value = v.text;
        break;
      case "number":
        out.number_value = v.number;
        out.display_value = v.number.toFixed(f.precision ?? 0);
        break;
      case "enum":
        out.enum_value = option(v.option);
        out.display_value = f.options[v.option]!.name;
        break;
      case "multi_enum":
        out.multi_enum_values = v.options.map(option);
        out.display_value = v.options.map((j) => f.options[j]!.name).join(", ");
        break;
      case "date":
        out.date_value = { date: isoDate(v.date), date_time: null };
        out.display_value = isoDate(v.date);
        break;
      case "people":
        out.people_value = v.users.map((u) => this.userRef(u));
        out.display_value = v.users.map((u) => this.facts.user(u).name).join(", ");
        break;
    }
    return out;
  }

  // --- records ---------------------------------------------------------------------------------

  workspace(index: number): ApiRecord {
    const w = this.facts.workspace(index);
    return this.finish("workspaces", {
      gid: w.gid,
      resource_type: "workspace",
      name: w.name,
      email_domains: w.emailDomains,
      is_organization: w.organization,
    });
  }

  user(index: number): ApiRecord {
    const u = this.facts.user(index);
    const photo: ApiRecord | null = u.hasPhoto
      ? Object.fromEntries(["21x21", "27x27", "36x36", "60x60", "128x128", "1024x1024"].map((size) => [`image_${size}`, `${ASSET_URL}/photos/${u.gid}_${size}.png`]))
      : null;
    return this.finish("users", {
      gid: u.gid,
      resource_type: "user",
      name: u.name,
      email: u.email,
      photo,
      workspaces: u.workspaces.map((w) => this.workspaceRef(w)),
      custom_fields: [],
    });
  }

  team(index: number): ApiRecord {
    const t = this.facts.team(index);
    const level = t.adminsOnly ? "only_team_admins" : "all_team_members";
    return this.finish("teams", {
      gid: t.gid,
      resource_type: "team",
      name: t.name,
      description: t.description,
      html_description: html(t.description),
      organization: this.workspaceRef(t.workspace),
      permalink_url: `${APP_URL}/0/team/${t.gid}`,
      visibility: t.visibility,
      edit_team_name_or_description_access_level: level,
      edit_team_visibility_or_trash_team_access_level: level,
      member_invite_management_access_level: level,
      guest_invite_management_access_level: level,
      join_request_management_access_level: level,
      team_member_removal_access_level: level,
      team_content_management_access_level: t.adminsOnly ? "only_team_admins" : "no_restriction",
      endorsed: t.endorsed,
      custom_field_settings: [],
    });
  }

  teamMembership(index: number): ApiRecord {
    const m = this.facts.teamMembership(index);
    return this.finish("team_memberships", {
      gid: m.gid,
      resource_type: "team_membership",
      user: this.userRef(m.user),
      team: this.teamRef(m.team),
      is_guest: m.isGuest,
      is_limited_access: m.isLimitedAccess,
      is_admin: m.isAdmin,
    });
  }

  workspaceMembership(index: number): ApiRecord {
    const m = this.facts.workspaceMembership(index);
    return this.finish("workspace_memberships", {
      gid: m.gid,
      resource_type: "workspace_membership",
      user: this.userRef(m.user),
      workspace: this.workspaceRef(m.workspace),
      user_task_list: { gid: m.userTaskListGid, resource_type: "user_task_list", name: "My Tasks", owner: this.userRef(m.user), workspace: this.workspaceRef(m.workspace) },
      is_active: true,
      is_admin: m.isAdmin,
      is_guest: m.isGuest,
      is_view_only: false,
      created_at: isoTime(m.createdAt),
    });
  }

  project(index: number): ApiRecord {
    const p = this.facts.project(index);
    const ws = this.facts.workspace(p.workspace);
    const updates = this.facts.statusUpdates(index);
    const latest = updates[updates.length - 1];
    const template = p.fromTemplate >= 0 ? this.facts.template(p.fromTemplate) : undefined;
    return this.finish("projects", {
      gid: p.gid,
      resource_type: "project",
      name: p.name,
      archived: p.archived,
      color: p.color,
      icon: p.icon,
      created_at: isoTime(p.createdAt),
      current_status_update:
        latest === undefined ? null : { gid: latest.gid, resource_type: "status_update", title: latest.title, resource_subtype: "project_status_update" },
      custom_field_settings: this.facts.customFieldSettings(index).map((cs) => this.customFieldSettingValues(cs, this.projectRef(cs.project))),
      default_view: p.defaultView,
      due_date: isoDateOrNull(p.dueOn),
      due_on: isoDateOrNull(p.dueOn),
      html_notes: html(p.notes),
      members: p.members.map((u) => this.userRef(u)),
      modified_at: isoTime(p.modifiedAt),
      notes: p.notes,
      public: p.isPublic,
      privacy_setting: p.privacy,
      start_on: isoDateOrNull(p.startOn),
      default_access_level: "editor",
      minimum_access_level_for_customization: "admin",
      minimum_access_level_for_sharing: "editor",
      custom_fields: [],
      completed: p.completed,
      completed_at: isoTimeOrNull(p.completedAt),
      completed_by: p.completedBy === null ? null : this.userRef(p.completedBy),
      followers: p.followers.map((u) => this.userRef(u)),
      owner: this.userRef(p.owner),
      // A personal workspace has no teams.
      team: p.team >= 0 ? this.teamRef(p.team) : null,
      permalink_url: `${APP_URL}/1/${ws.gid}/project/${p.gid}`,
      created_from_template: template === undefined ? null : { gid: template.gid, resource_type: "project_template", name: template.name },
      workspace: this.workspaceRef(p.workspace),
    });
  }

  section(index: number): ApiRecord {
    const s = this.facts.section(index);
    const project = this.projectRef(s.project);
    return this.finish("sections", {
      gid: s.gid,
      resource_type: "section",
      name: s.name,
      created_at: isoTime(s.createdAt),
      project,
      projects: [project],
    });
  }

  /** Tasks and subtasks share TaskResponse. */
  task(ordinal: number): ApiRecord {
    const t = this.facts.task(ordinal);
    const node = this.facts.structure.tasks[ordinal]!;
    const ws = this.facts.workspace(t.workspace);
    const firstProject = node.projects[0];
    const taskResource = (o: number): ApiRecord => ({ gid: this.facts.task(o).gid, resource_type: "task" });
    return this.finish(node.depth === 0 ? "tasks" : "subtasks", {
      gid: t.gid,
      resource_type: "task",
      name: t.name,
      resource_subtype: t.subtype,
      created_by: { gid: this.facts.user(t.creator).gid, resource_type: "user" },
      // Only approval tasks have an approval status.
      approval_status: t.subtype === "approval" ? t.approvalStatus : undefined,
      assignee_status: t.assigneeStatus,
      assigned_by: t.assignedBy === null ? null : this.userRef(t.assignedBy),
      completed: t.completed,
      completed_at: isoTimeOrNull(t.completedAt),
      completed_by: t.completedBy === null ? null : this.userRef(t.completedBy),
      created_at: isoTime(t.createdAt),
      dependencies: this.facts.dependencies(ordinal).map(taskResource),
      dependents: this.facts.dependents(ordinal).map(taskResource),
      due_at: isoTimeOrNull(t.dueAt),
      due_on: isoDateOrNull(t.dueOn),
      external: t.externalId === null ? null : { gid: t.externalId, data: JSON.stringify({ source: "simulator" }) },
      html_notes: html(t.notes),
      hearted: t.likes.some((l) => l.user === 0),
      hearts: this.likes(t.likes),
      is_rendered_as_separator: false,
      liked: t.likes.some((l) => l.user === 0),
      likes: this.likes(t.likes),
      memberships: node.projects.map((p, k) => ({ project: this.projectRef(p), section: this.sectionRef(node.sections[k]!) })),
      modified_at: isoTime(t.modifiedAt),
      notes: t.notes,
      num_hearts: t.likes.length,
      num_likes: t.likes.length,
      num_subtasks: node.children.length,
      start_on: isoDateOrNull(t.startOn),
      actual_time_minutes: t.actualTimeMinutes,
      assignee: t.assignee === null ? null : this.userRef(t.assignee),
      custom_fields: this.facts.taskCustomFields(ordinal).map((c) => this.taskCustomField(c)),
      followers: t.followers.map((u) => this.userRef(u)),
      parent: node.parent >= 0 ? this.taskRef(node.parent) : null,
      projects: node.projects.map((p) => this.projectRef(p)),
      tags: t.tags.map((tag) => this.tagRef(tag)),
      workspace: this.workspaceRef(t.workspace),
      permalink_url:
        firstProject === undefined ? `${APP_URL}/1/${ws.gid}/task/${t.gid}` : `${APP_URL}/1/${ws.gid}/project/${this.facts.project(firstProject).gid}/task/${t.gid}`,
    });
  }

  tag(index: number): ApiRecord {
    const t = this.facts.tag(index);
    const ws = this.facts.workspace(t.workspace);
    return this.finish("tags", {
      gid: t.gid,
      resource_type: "tag",
      name: t.name,
      color: t.color,
      notes: t.notes,
      created_at: isoTime(t.createdAt),
      followers: t.followers.map((u) => this.userRef(u)),
      workspace: this.workspaceRef(t.workspace),
      permalink_url: `${APP_URL}/1/${ws.gid}/tag/${t.gid}/list`,
    });
  }

  /** Fields of other story subtypes (old_name, new_section, old_number_value...) stay null. */
  story(s: StoryFacts): ApiRecord {
    const comment = s.kind === "comment_added";
    const dates = (dueOn: number | null): Json => (dueOn === null ? null : { start_on: null, due_at: null, due_on: isoDate(dueOn) });
    return this.finish("stories", {
      gid: s.gid,
      resource_type: "story",
      created_at: isoTime(s.createdAt),
      resource_subtype: s.kind,
      text: s.text,
      html_text: html(s.text),
      is_pinned: s.isPinned,
      created_by: this.userRef(s.creator),
      type: comment ? "comment" : "system",
      is_editable: comment && s.creator === 0,
      is_edited: s.isEdited,
      hearted: s.likes.some((l) => l.user === 0),
      hearts: this.likes(s.likes),
      num_hearts: s.likes.length,
      liked: s.likes.some((l) => l.user === 0),
      likes: this.likes(s.likes),
      num_likes: s.likes.length,
      reaction_summary: this.reactionSummary(s.likes),
      previews: [],
      old_dates: s.kind === "due_date_changed" ? dates(s.oldDueOn) : undefined,
      new_dates: s.kind === "due_date_changed" ? dates(s.newDueOn) : undefined,
      assignee: s.assignee === null ? undefined : this.userRef(s.assignee),
      project: s.project === null ? undefined : this.projectRef(s.project),
      tag: s.tag === null ? undefined : this.tagRef(s.tag),
      source: s.source,
      target: this.taskRef(s.task),
    });
  }

  attachment(a: AttachmentFacts): ApiRecord {
    const parent = a.parent.kind === "task" ? this.taskRef(a.parent.ordinal) : this.projectRef(a.parent.index);
    const hosted = a.host === "asana";
    return this.finish("attachments", {
      gid: a.gid,
      resource_type: "attachment",
      name: a.name,
      resource_subtype: hosted ? "asana" : a.host,
      created_at: isoTime(a.createdAt),
      download_url: hosted ? `${ASSET_URL}/attachments/${a.gid}/${encodeURIComponent(a.name)}` : null,
      permanent_url: `${APP_URL}/app/asana/-/get_asset?asset_id=${a.gid}`,
      host: a.host,
      parent,
      // Files hosted elsewhere (Google Drive, Dropbox...) have no size in Asana.
      size: hosted ? a.size : null,
      view_url: hosted ? `${APP_URL}/app/asana/-/view_asset?asset_id=${a.gid}` : `https://${a.host}.example.com/files/${a.gid}`,
      connected_to_app: false,
    });
  }

  template(index: number): ApiRecord {
    const t = this.facts.template(index);
    return this.finish("project_templates", {
      gid: t.gid,
      resource_type: "project_template",
      name: t.name,
      description: t.description,
      html_description: html(t.description),
      public: t.isPublic,
      owner: t.owner === null ? null : this.userRef(t.owner),
      team: this.teamRef(t.team),
      requested_dates: t.requestedDates.map((d) => ({ gid: d.gid, name: d.name, description: d.description })),
      color: t.color,
      requested_roles: t.requestedRoles.map((r) => ({ gid: r.gid, resource_type: "template_role", name: r.name })),
    });
  }

  statusUpdate(s: StatusUpdateFacts): ApiRecord {
    return this.finish("status_updates", {
      gid: s.gid,
      resource_type: "status_update",
      title: s.title,
      resource_subtype: "project_status_update",
      text: s.text,
      html_text: html(s.text),
      status_type: s.statusType,
      author: this.userRef(s.author),
      created_at: isoTime(s.createdAt),
      created_by: this.userRef(s.author),
      hearted: s.likes.some((l) => l.user === 0),
      hearts: this.likes(s.likes),
      liked: s.likes.some((l) => l.user === 0),
      likes: this.likes(s.likes),
      reaction_summary: this.reactionSummary(s.likes),
      modified_at: isoTime(s.createdAt),
      num_hearts: s.likes.length,
      num_likes: s.likes.length,
      parent: this.projectRef(s.project),
    });
  }

  webhook(index: number): ApiRecord {
    const w = this.facts.webhook(index);
    const resource = w.project >= 0 ? this.projectRef(w.project) : this.workspaceRef(w.workspace);
    return this.finish("webhooks", {
      gid: w.gid,
      resource_type: "webhook",
      active: w.active,
      resource,
      target: w.target,
      created_at: isoTime(w.createdAt),
      last_failure_at: isoTime(w.lastFailureAt),
      last_failure_content: w.lastFailureContent,
      last_success_at: isoTime(w.lastSuccessAt),
      delivery_retry_count: w.deliveryRetryCount,
      next_attempt_after: isoTime(Math.max(w.lastFailureAt, w.lastSuccessAt) + 60_000),
      failure_deletion_timestamp: isoTime(w.lastFailureAt + 7 * 86_400_000),
      // Filters name what they watch; the other WebhookFilter fields stay null.
      filters: [{ resource_type: "task", action: "changed", fields: ["completed", "due_on", "assignee"] }],
    });
  }
}
