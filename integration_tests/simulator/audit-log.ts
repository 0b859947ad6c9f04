/**
 * The audit log of each organization: generated events spread evenly (oldest first, one every few
 * hours) over the dataset's time span, five per member, then the events mutations append
 * (mutations.ts) at the simulated clock's time. Events are append-only and time-ordered; GET
 * /workspaces/{gid}/audit_log_events filters them by `start_at` (inclusive) and `end_at`
 * (exclusive). Only a service account may read them (routes.ts).
 */
import { DATA_END, DATA_START, type Facts } from "./facts.js";
import { AUDIT_EVENTS_PER_WORKSPACE_SLOT, KIND } from "./gids.js";
import type { SeededRandom } from "./random.js";
import { type ApiRecord, type RecordBuilder, isoTime } from "./records.js";

export interface AuditResource {
  resourceType: "user" | "project" | "team" | "workspace" | "task" | "story" | "attachment";
  gid: string;
  name: string | null;
  email: string | null;
  subtype: string | null;
}

export interface AuditEventFacts {
  gid: string;
  workspace: number;
  createdAt: number;
  eventType: string;
  category: string;
  actor: number;
  resource: AuditResource;
  oldValue: string | null;
  newValue: string | null;
  contextType: "web" | "desktop" | "mobile" | "api";
}

/** The generated events' kinds: event type, category, what kind of resource they name. */
const GENERATED_KINDS = [
  ["user_login_succeeded", "logins", "user"],
  ["user_login_succeeded", "logins", "user"],
  ["user_logged_out", "logins", "user"],
  ["user_invited", "user_access_management", "user"],
  ["project_created", "content_management", "project"],
  ["project_privacy_changed", "access_control", "project"],
  ["project_deleted", "content_management", "project"],
  ["team_member_added", "access_control", "team"],
  ["team_created", "content_management", "team"],
  ["workspace_session_duration_changed", "admin_settings", "workspace"],
] as const;

const CONTEXTS = ["web", "web", "web", "desktop", "mobile", "api"] as const;
const EVENTS_PER_MEMBER = 5;

export class AuditLog {
  private readonly appended = new Map<number, AuditEventFacts[]>();

  constructor(
    private readonly facts: Facts,
    private readonly rng: SeededRandom,
  ) {}

  /** Generated events of a workspace (organizations only). */
  generatedCount(workspace: number): number {
    const ws = this.facts.structure.workspaces[workspace]!;
    return ws.organization ? ws.users.length * EVENTS_PER_MEMBER : 0;
  }

  /** Every event of a workspace, oldest first. */
  events(workspace: number): AuditEventFacts[] {
    const n = this.generatedCount(workspace);
    const out = Array.from({ length: n }, (_, i) => this.generated(workspace, i));
    return [...out, ...(this.appended.get(workspace) ?? [])];
  }

  count(workspace: number): number {
    return this.generatedCount(workspace) + (this.appended.get(workspace)?.length ?? 0);
  }

  byIndex(index: number): AuditEventFacts | undefined {
    const workspace = Math.floor(index / AUDIT_EVENTS_PER_WORKSPACE_SLOT);
    const i = index % AUDIT_EVENTS_PER_WORKSPACE_SLOT;
    if (workspace >= this.facts.structure.workspaces.length) return undefined;
    const n = this.generatedCount(workspace);
    return i < n ? this.generated(workspace, i) : this.appended.get(workspace)?.[i - n];
  }

  /** Appends an event by "me" through the API (a mutation); returns it (undefined outside organizations: no audit log). */
  append(workspace: number, createdAt: number, eventType: string, category: string, resource: AuditResource): AuditEventFacts | undefined {
    if (!this.facts.structure.workspaces[workspace]!.organization) return undefined;
    const list = this.appended.get(workspace) ?? [];
    const index = workspace * AUDIT_EVENTS_PER_WORKSPACE_SLOT + this.generatedCount(workspace) + list.length;
    const event: AuditEventFacts = {
      gid: this.facts.gids.encode(KIND.auditEvent, index),
      workspace,
      createdAt,
      eventType,
      category,
      actor: 0,
      resource,
      oldValue: null,
      newValue: null,
      contextType: "api",
    };
    list.push(event);
    this.appended.set(workspace, list);
    return event;
  }

  private generated(workspace: number, i: number): AuditEventFacts {
    const index = workspace * AUDIT_EVENTS_PER_WORKSPACE_SLOT + i;
    const n = this.generatedCount(workspace);
    const slot = (DATA_END - DATA_START) / n;
    const createdAt = Math.floor((DATA_START + (i + 0.9 * this.rng.float("audit.jitter", index)) * slot) / 1000) * 1000;
    const [eventType, category, resourceType] = this.rng.pick(GENERATED_KINDS, "audit.kind", index);
    const ws = this.facts.structure.workspaces[workspace]!;
    const changed = eventType.endsWith("_changed");
    return {
      gid: this.facts.gids.encode(KIND.auditEvent, index),
      workspace,
      createdAt,
      eventType,
      category,
      actor: this.rng.pick(ws.users, "audit.actor", index),
      resource: this.resource(workspace, resourceType, index),
      oldValue: changed ? "12 hours" : eventType === "project_privacy_changed" ? "public_to_workspace" : null,
      newValue: changed ? "8 hours" : eventType === "project_privacy_changed" ? "private_to_team" : null,
      contextType: this.rng.pick(CONTEXTS, "audit.context", index),
    };
  }

  private resource(workspace: number, type: "user" | "project" | "team" | "workspace", index: number): AuditResource {
    const f = this.facts;
    const ws = f.structure.workspaces[workspace]!;
    if (type === "user") {
      const u = f.user(this.rng.pick(ws.users, "audit.user", index));
      return { resourceType: "user", gid: u.gid, name: u.name, email: u.email, subtype: null };
    }
    if (type === "project" && ws.projects.length > 0) {
      const p = f.project(this.rng.pick(ws.projects, "audit.project", index));
      return { resourceType: "project", gid: p.gid, name: p.name, email: null, subtype: null };
    }
    if (type === "team" && ws.teams.length > 0) {
      const t = f.team(this.rng.pick(ws.teams, "audit.team", index));
      return { resourceType: "team", gid: t.gid, name: t.name, email: null, subtype: null };
    }
    const w = f.workspace(workspace);
    return { resourceType: "workspace", gid: w.gid, name: w.name, email: null, subtype: null };
  }
}

/** An audit event as GET /workspaces/{gid}/audit_log_events returns it. */
export function auditEventRecord(e: AuditEventFacts, facts: Facts, records: RecordBuilder): ApiRecord {
  const actor = facts.user(e.actor);
  const api = e.contextType === "api";
  return records.finish("audit_log_events", {
    gid: e.gid,
    created_at: isoTime(e.createdAt),
    event_type: e.eventType,
    event_category: e.category,
    actor: { actor_type: "user", gid: actor.gid, name: actor.name, email: actor.email },
    resource: { resource_type: e.resource.resourceType, resource_subtype: e.resource.subtype, gid: e.resource.gid, name: e.resource.name, email: e.resource.email },
    details: { old_value: e.oldValue, new_value: e.newValue, group: null, saml_response: null },
    context: {
      context_type: e.contextType,
      api_authentication_method: api ? "personal_access_token" : "cookie",
      client_ip_address: `10.0.${e.actor % 256}.${(Number(e.gid.slice(-3)) % 250) + 1}`,
      user_agent: api ? "python-asana/5.0" : "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)",
      oauth_app_name: null,
      rule_name: null,
      on_behalf_of_user_id: null,
    },
  });
}
