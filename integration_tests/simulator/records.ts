/**
 * Asana's JSON shapes: full records built from facts (facts.ts), the compact projection list
 * endpoints return by default, and `opt_fields` projections.
 *
 * A full record has exactly the top-level properties of the stream's OAS `<X>Response` schema
 * (fields.ts), in spec order. Builders set the fields that mean something for the record; every
 * other field gets its type's empty value (`complete`): `null` when the spec says nullable, else
 * the first enum value, "", 0, false, [] or {}. Nested references to other objects are compact:
 * `{gid, resource_type, name}`, limited to the fields the referenced component has.
 */
import type { AttachmentFacts, Facts, Like, StatusUpdateFacts, StoryFacts } from "./facts.js";
import { COMPACT_FIELDS, type FieldSpec, RECORD_FIELDS, REFERENCE_FIELDS, type StreamName } from "./fields.js";
import { ApiError } from "./errors.js";

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

/** The empty value of a field type (see the header comment). */
export function emptyValue(spec: FieldSpec): Json {
  if (spec.nullable === true) return null;
  const firstEnum = spec.enum?.find((v) => v !== null);
  if (firstEnum !== undefined) return firstEnum;
  switch (spec.type) {
    case "string":
      return "";
    case "integer":
    case "number":
      return 0;
    case "boolean":
      return false;
    case "array":
      return [];
    case "object":
      return {};
    case "any":
      return null;
  }
}

/** Orders `values` by the stream's field list and fills every missing field with its empty value. */
export function complete(stream: StreamName, values: Readonly<Record<string, Json | undefined>>): ApiRecord {
  const out: ApiRecord = {};
  for (const [name, spec] of Object.entries(RECORD_FIELDS[stream])) {
    const value = values[name];
    out[name] = value === undefined ? emptyValue(spec) : value;
  }
  return out;
}

/** A nested reference in the compact form of `component` (e.g. "UserCompact"). */
export function reference(component: string, target: { gid: string; resource_type: string; name?: string }): ApiRecord {
  const fields = REFERENCE_FIELDS[component] ?? ["gid", "resource_type", "name"];
  const out: ApiRecord = {};
  for (const field of fields) {
    const value = target[field as keyof typeof target];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/** Builds full records from facts. */
export class RecordBuilder {
  constructor(private readonly facts: Facts) {}

  // --- references ------------------------------------------------------------------------------

  userRef(index: number): ApiRecord {
    const u = this.facts.user(index);
    return reference("UserCompact", { gid: u.gid, resource_type: "user", name: u.name });
  }

  workspaceRef(index: number): ApiRecord {
    const w = this.facts.workspace(index);
    return reference("WorkspaceCompact", { gid: w.gid, resource_type: "workspace", name: w.name });
  }

  teamRef(index: number): ApiRecord {
    const t = this.facts.team(index);
    return reference("TeamCompact", { gid: t.gid, resource_type: "team", name: t.name });
  }

  projectRef(index: number): ApiRecord {
    const p = this.facts.project(index);
    return reference("ProjectCompact", { gid: p.gid, resource_type: "project", name: p.name });
  }

  sectionRef(index: number): ApiRecord {
    const s = this.facts.section(index);
    return reference("SectionCompact", { gid: s.gid, resource_type: "section", name: s.name });
  }

  taskRef(ordinal: number): ApiRecord {
    const t = this.facts.task(ordinal);
    return reference("TaskCompact", { gid: t.gid, resource_type: "task", name: t.name });
  }

  tagRef(index: number): ApiRecord {
    const t = this.facts.tag(index);
    return reference("TagCompact", { gid: t.gid, resource_type: "tag", name: t.name });
  }

  private likes(likes: readonly Like[]): ApiRecord[] {
    return likes.map((like) => ({ gid: like.gid, user: this.userRef(like.user) }));
  }

  private reactionSummary(likes: readonly Like[]): ApiRecord[] {
    if (likes.length === 0) return [];
    return [{ emoji_base: "👍", variant: "👍", count: likes.length, reacted: likes.some((l) => l.user === 0) }];
  }

  // --- full records ----------------------------------------------------------------------------

  workspace(index: number): ApiRecord {
    const w = this.facts.workspace(index);
    return complete("workspaces", {
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
    return complete("users", {
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
    return complete("teams", {
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
    return complete("team_memberships", {
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
    return complete("workspace_memberships", {
      gid: m.gid,
      resource_type: "workspace_membership",
      user: this.userRef(m.user),
      workspace: this.workspaceRef(m.workspace),
      user_task_list: reference("UserTaskListResponse", { gid: m.userTaskListGid, resource_type: "user_task_list", name: "My Tasks" }),
      is_active: true,
      is_admin: m.isAdmin,
      is_guest: m.isGuest,
      is_view_only: false,
      vacation_dates: null,
      created_at: isoTime(m.createdAt),
    });
  }

  project(index: number): ApiRecord {
    const p = this.facts.project(index);
    const ws = this.facts.workspace(p.workspace);
    const updates = this.facts.statusUpdates(index);
    const latest = updates[updates.length - 1];
    const template = p.fromTemplate >= 0 ? this.facts.template(p.fromTemplate) : undefined;
    return complete("projects", {
      gid: p.gid,
      resource_type: "project",
      name: p.name,
      archived: p.archived,
      color: p.color,
      icon: p.icon,
      created_at: isoTime(p.createdAt),
      current_status: null,
      current_status_update: latest === undefined ? null : reference("StatusUpdateCompact", { gid: latest.gid, resource_type: "status_update", name: latest.title }),
      custom_field_settings: [],
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
      // A personal workspace has no teams; the spec's `team` is not nullable, so it is an empty object.
      team: p.team >= 0 ? this.teamRef(p.team) : {},
      permalink_url: `${APP_URL}/1/${ws.gid}/project/${p.gid}`,
      project_brief: null,
      created_from_template:
        template === undefined ? null : reference("ProjectTemplateCompact", { gid: template.gid, resource_type: "project_template", name: template.name }),
      workspace: this.workspaceRef(p.workspace),
    });
  }

  section(index: number): ApiRecord {
    const s = this.facts.section(index);
    const project = this.projectRef(s.project);
    return complete("sections", {
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
    return complete(node.depth === 0 ? "tasks" : "subtasks", {
      gid: t.gid,
      resource_type: "task",
      name: t.name,
      resource_subtype: t.subtype,
      created_by: { gid: this.facts.user(t.creator).gid, resource_type: "user" },
      approval_status: t.approvalStatus,
      assignee_status: t.assigneeStatus,
      assigned_by: t.assignedBy === null ? null : this.userRef(t.assignedBy),
      completed: t.completed,
      completed_at: isoTimeOrNull(t.completedAt),
      completed_by: t.completedBy === null ? null : this.userRef(t.completedBy),
      created_at: isoTime(t.createdAt),
      dependencies: this.facts.dependencies(ordinal).map((o) => reference("AsanaResource", { gid: this.facts.task(o).gid, resource_type: "task" })),
      dependents: this.facts.dependents(ordinal).map((o) => reference("AsanaResource", { gid: this.facts.task(o).gid, resource_type: "task" })),
      due_at: isoTimeOrNull(t.dueAt),
      due_on: isoDateOrNull(t.dueOn),
      external: t.externalId === null ? {} : { gid: t.externalId, data: JSON.stringify({ source: "simulator" }) },
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
      start_at: null,
      start_on: isoDateOrNull(t.startOn),
      actual_time_minutes: t.actualTimeMinutes,
      assignee: t.assignee === null ? null : this.userRef(t.assignee),
      assignee_section: null,
      custom_fields: [],
      custom_type: null,
      custom_type_status_option: null,
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
    return complete("tags", {
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

  story(s: StoryFacts): ApiRecord {
    const comment = s.kind === "comment_added";
    const dates = (dueOn: number | null): Json => (dueOn === null ? {} : { start_on: null, due_at: null, due_on: isoDate(dueOn) });
    return complete("stories", {
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
      new_name: null,
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
    return complete("attachments", {
      gid: a.gid,
      resource_type: "attachment",
      name: a.name,
      resource_subtype: hosted ? "asana" : a.host,
      created_at: isoTime(a.createdAt),
      download_url: hosted ? `${ASSET_URL}/attachments/${a.gid}/${encodeURIComponent(a.name)}` : null,
      permanent_url: `${APP_URL}/app/asana/-/get_asset?asset_id=${a.gid}`,
      host: a.host,
      parent,
      size: a.size,
      view_url: hosted ? `${APP_URL}/app/asana/-/view_asset?asset_id=${a.gid}` : `https://${a.host}.example.com/files/${a.gid}`,
      connected_to_app: false,
    });
  }

  template(index: number): ApiRecord {
    const t = this.facts.template(index);
    return complete("project_templates", {
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
    return complete("status_updates", {
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
    const resource =
      w.project >= 0
        ? reference("AsanaNamedResource", { gid: this.facts.project(w.project).gid, resource_type: "project", name: this.facts.project(w.project).name })
        : reference("AsanaNamedResource", { gid: this.facts.workspace(w.workspace).gid, resource_type: "workspace", name: this.facts.workspace(w.workspace).name });
    return complete("webhooks", {
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
      filters: [{ resource_type: "task", action: "changed", fields: ["completed", "due_on", "assignee"] }],
    });
  }
}

// --- projections ----------------------------------------------------------------------------------

/** What a request asked for: `null` fields = the compact record. */
export interface Projection {
  fields: ReadonlySet<string> | null;
  /** Dotted paths: top-level field -> sub-fields to add to the referenced objects. */
  nested: ReadonlyMap<string, readonly string[]>;
}

export const COMPACT: Projection = { fields: null, nested: new Map() };

/** Spec-listed opt_fields that are pagination metadata, not record fields: accepted and ignored. */
const IGNORED_OPT_FIELDS = new Set(["offset", "path", "uri"]);

/**
 * Parses `opt_fields` against a stream's field list. Unknown top-level names -> 400.
 * `a.b` includes `a` and adds sub-field `b` to the object(s) `a` references.
 */
export function parseOptFields(stream: StreamName, raw: string | null, typeName: string): Projection {
  if (raw === null) return COMPACT;
  const known = RECORD_FIELDS[stream];
  const fields = new Set<string>();
  const nested = new Map<string, string[]>();
  for (const item of raw.split(",")) {
    const path = item.trim();
    if (path === "") continue;
    const [head, sub] = path.split(".");
    if (head === undefined || IGNORED_OPT_FIELDS.has(head)) continue;
    if (!(head in known)) throw new ApiError(400, `opt_fields: Unknown field "${head}" for type ${typeName}`);
    fields.add(head);
    if (sub !== undefined && sub !== "") {
      const list = nested.get(head) ?? [];
      if (!list.includes(sub)) list.push(sub);
      nested.set(head, list);
    }
  }
  return { fields, nested };
}

/**
 * Applies a projection to a full record. `resolve` returns the full record behind a gid (for
 * dotted paths), or undefined when the gid is not a dataset object (likes, filters, ...).
 */
export function project(stream: StreamName, full: ApiRecord, projection: Projection, resolve: (gid: string) => ApiRecord | undefined): ApiRecord {
  const out: ApiRecord = {};
  if (projection.fields === null) {
    for (const name of COMPACT_FIELDS[stream]) if (name in full) out[name] = full[name]!;
    return out;
  }
  out.gid = full.gid!;
  for (const name of Object.keys(RECORD_FIELDS[stream])) {
    if (name === "gid" || !projection.fields.has(name)) continue;
    const subFields = projection.nested.get(name);
    out[name] = subFields === undefined ? full[name]! : enrich(full[name]!, subFields, resolve);
  }
  return out;
}

function enrich(value: Json, subFields: readonly string[], resolve: (gid: string) => ApiRecord | undefined): Json {
  if (Array.isArray(value)) return value.map((item) => enrich(item, subFields, resolve));
  if (value === null || typeof value !== "object" || typeof value.gid !== "string") return value;
  const target = resolve(value.gid);
  if (target === undefined) return value;
  const out: ApiRecord = { ...value };
  for (const field of subFields) if (field in target) out[field] = target[field]!;
  return out;
}
