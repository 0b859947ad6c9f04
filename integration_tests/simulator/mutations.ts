/**
 * Changes between syncs: `apply(spec, now)` picks tasks deterministically, applies the changes
 * through the dataset's overlay, records the matching events and returns exactly what changed.
 *
 * - modified tasks: `notes` (and so `html_notes`) and `modified_at` change; event task/changed
 *   (field "notes").
 * - created tasks: a new top-level task in one active project's first section, created_at =
 *   modified_at = now, no stories, attachments or subtasks; event task/added (parent: project).
 * - deleted tasks: top-level tasks without dependencies or dependents vanish with their subtasks,
 *   stories and attachments; event task/deleted.
 * - comments: a new comment story by "me"; the task's modified_at does not move; event story/added.
 * - deleted comments: a task's first comment story vanishes (the task stays, its modified_at does
 *   not move); event story/deleted.
 * - attachments: a new attachment; the task's modified_at does not move; event attachment/added.
 * - subtask edits: the subtask's notes and modified_at change, its parent's do not; event
 *   task/changed on the subtask, its ancestors and the top-level task's projects.
 *
 * Task creations and deletions, comment deletions and attachments also append an audit event by
 * "me" (task_created, task_deleted, story_deleted, attachment_uploaded) to their organization's
 * audit log (audit-log.ts), at the same time.
 *
 * Modified, created, deleted, commented, uncommented and attached tasks are pairwise distinct within one call,
 * and edited subtasks lie under none of them. Times are the simulated clock's `now`.
 */
import type { AuditResource } from "./audit-log.js";
import type { Dataset } from "./dataset.js";
import type { AsanaEvent, EventLog, ResourceRef } from "./events.js";
import type { AttachmentFacts, StoryFacts } from "./facts.js";
import { KIND } from "./gids.js";
import { EXTRA_INDEX_BASE } from "./overlay.js";
import { SeededRandom } from "./random.js";
import { isoTime } from "./records.js";
import type { TaskNode } from "./structure.js";
import { COMMENTS } from "./vocabulary.js";

export interface MutationSpec {
  modifyTasks?: number;
  createTasks?: number;
  deleteTasks?: number;
  addComments?: number;
  deleteComments?: number;
  addAttachments?: number;
  editSubtasks?: number;
  /** Seed of the choices (default: a per-simulator call counter, so successive calls differ). */
  seed?: number;
}

export interface MutationResult {
  modifiedTasks: string[];
  createdTasks: string[];
  deletedTasks: string[];
  /** Tasks that got a new comment story (their modified_at unchanged). */
  commentedTasks: string[];
  /** The gids of the comment stories deleted (their tasks unchanged). */
  deletedStories: string[];
  /** Tasks that got a new attachment (their modified_at unchanged). */
  attachedTasks: string[];
  /** Subtasks whose modified_at moved (their parents' did not). */
  editedSubtasks: string[];
  /** The gids of the new stories and attachments, in the order of commentedTasks / attachedTasks. */
  newStories: string[];
  newAttachments: string[];
}

const SPEC_KEYS = ["modifyTasks", "createTasks", "deleteTasks", "addComments", "deleteComments", "addAttachments", "editSubtasks", "seed"] as const;

/** Validates a spec from JSON (POST /_sim/mutate); throws an Error with a message otherwise. */
export function parseMutationSpec(input: unknown): MutationSpec {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new Error("mutation spec must be a JSON object");
  const spec: MutationSpec = {};
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (!(SPEC_KEYS as readonly string[]).includes(key)) throw new Error(`unknown mutation spec key ${JSON.stringify(key)}`);
    if (typeof value !== "number" || !Number.isInteger(value) || (key !== "seed" && value < 0)) throw new Error(`${key} must be a non-negative integer`);
    spec[key as (typeof SPEC_KEYS)[number]] = value;
  }
  return spec;
}

export class Mutator {
  private calls = 0;

  constructor(
    private readonly dataset: Dataset,
    readonly events: EventLog,
  ) {}

  apply(spec: MutationSpec, now: number): MutationResult {
    this.calls++;
    const d = this.dataset;
    const s = d.structure;
    const rng = new SeededRandom((spec.seed ?? d.seed * 7919 + this.calls) | 0);
    const count = (n: number | undefined): number => Math.max(0, Math.floor(n ?? 0));

    // Every live top-level task, in a seeded order; categories take from the front, disjointly.
    const topLevel = s.tasks.filter((t) => t.depth === 0 && d.isLive(t.ordinal)).map((t) => t.ordinal);
    const order = rng.sample(topLevel, topLevel.length, "mutate.order");
    const used = new Set<number>();
    const take = (n: number, accept: (o: number) => boolean = () => true): number[] => {
      const out: number[] = [];
      for (const o of order) {
        if (out.length >= n) break;
        if (used.has(o) || !accept(o)) continue;
        used.add(o);
        out.push(o);
      }
      return out;
    };
    const deleted = take(count(spec.deleteTasks), (o) => d.facts.dependencies(o).length === 0 && d.facts.dependents(o).length === 0);
    const modified = take(count(spec.modifyTasks));
    const commented = take(count(spec.addComments));
    const firstComment = (o: number): StoryFacts | undefined => d.facts.stories(o).find((story) => story.kind === "comment_added");
    const uncommented = take(count(spec.deleteComments), (o) => firstComment(o) !== undefined);
    const attached = take(count(spec.addAttachments));
    const subtaskPool = s.tasks.filter((t) => t.depth > 0 && d.isLive(t.ordinal) && !used.has(this.root(t.ordinal))).map((t) => t.ordinal);
    const edited = rng.sample(subtaskPool, count(spec.editSubtasks), "mutate.subtasks");

    const result: MutationResult = {
      modifiedTasks: [],
      createdTasks: [],
      deletedTasks: [],
      commentedTasks: [],
      deletedStories: [],
      attachedTasks: [],
      editedSubtasks: [],
      newStories: [],
      newAttachments: [],
    };
    const createdAt = isoTime(now);
    const user = { gid: d.gids.encode(KIND.user, d.me), resource_type: "user" as const };
    const emit = (event: Omit<AsanaEvent, "user" | "created_at">, resources: Iterable<string>): void => {
      this.events.record({ user, created_at: createdAt, ...event }, resources);
    };
    const editNotes = `Edited at ${createdAt}.`;
    const audit = (ordinal: number, eventType: string, resource: AuditResource): void => {
      d.audit.append(s.tasks[ordinal]!.workspace, now, eventType, "content_management", resource);
    };
    const taskResource = (ordinal: number): AuditResource => {
      const t = d.facts.task(ordinal);
      return { resourceType: "task", gid: t.gid, name: t.name, email: null, subtype: t.subtype };
    };

    for (const o of deleted) {
      const ref = this.taskRef(o);
      const resources = this.resourcesOf(o);
      audit(o, "task_deleted", taskResource(o));
      d.overlay.markDeleted(this.subtree(o));
      emit({ type: "task", action: "deleted", resource: ref, parent: null }, resources);
      result.deletedTasks.push(ref.gid);
    }
    for (const o of modified) {
      d.overlay.setPatch(o, { modifiedAt: now, notes: editNotes });
      emit({ type: "task", action: "changed", resource: this.taskRef(o), parent: null, change: { field: "notes", action: "changed" } }, this.resourcesOf(o));
      result.modifiedTasks.push(this.taskRef(o).gid);
    }
    const hosts = s.projects.filter((p) => p.role === "normal" || p.role === "big");
    for (let k = 0; k < count(spec.createTasks) && hosts.length > 0; k++) {
      const project = rng.pick(hosts, "mutate.create.project", k);
      const ordinal = s.tasks.length;
      const node: TaskNode = {
        ordinal,
        workspace: project.workspace,
        parent: -1,
        depth: 0,
        projects: [project.index],
        sections: [project.sections[0]!],
        homeIndex: -1,
        children: [],
      };
      s.tasks.push(node);
      project.tasks.push(ordinal);
      d.overlay.markCreated(ordinal);
      d.overlay.setPatch(ordinal, { createdAt: now, modifiedAt: now, completed: false, completedAt: null, completedBy: null, startOn: null });
      const projectRef: ResourceRef = { gid: d.gids.encode(KIND.project, project.index), resource_type: "project" };
      emit({ type: "task", action: "added", resource: this.taskRef(ordinal), parent: projectRef }, this.resourcesOf(ordinal));
      audit(ordinal, "task_created", taskResource(ordinal));
      result.createdTasks.push(this.taskRef(ordinal).gid);
    }
    for (const o of commented) {
      const index = d.overlay.newStoryIndex();
      const story: StoryFacts = {
        gid: d.gids.encode(KIND.story, index),
        task: o,
        kind: "comment_added",
        createdAt: now,
        creator: d.me,
        text: rng.pick(COMMENTS, "mutate.comment", index),
        isPinned: false,
        isEdited: false,
        likes: [],
        source: "api",
        assignee: null,
        project: null,
        tag: null,
        oldDueOn: null,
        newDueOn: null,
      };
      d.overlay.addStory(index, story);
      const taskRef: ResourceRef = { gid: this.taskRef(o).gid, resource_type: "task" };
      emit({ type: "story", action: "added", resource: { gid: story.gid, resource_type: "story", resource_subtype: "comment_added" }, parent: taskRef }, this.resourcesOf(o));
      result.commentedTasks.push(taskRef.gid);
      result.newStories.push(story.gid);
    }
    for (const o of uncommented) {
      const story = firstComment(o)!;
      d.overlay.markStoryDeleted(story.gid);
      audit(o, "story_deleted", { resourceType: "story", gid: story.gid, name: null, email: null, subtype: "comment_added" });
      const taskRef: ResourceRef = { gid: this.taskRef(o).gid, resource_type: "task" };
      emit({ type: "story", action: "deleted", resource: { gid: story.gid, resource_type: "story", resource_subtype: "comment_added" }, parent: taskRef }, this.resourcesOf(o));
      result.deletedStories.push(story.gid);
    }
    for (const o of attached) {
      const index = d.overlay.newAttachmentIndex();
      const attachment: AttachmentFacts = {
        gid: d.gids.encode(KIND.taskAttachment, index),
        parent: { kind: "task", ordinal: o },
        name: `upload-${index - EXTRA_INDEX_BASE + 1}.pdf`,
        host: "asana",
        createdAt: now,
        size: rng.int(2_000, 8_000_000, "mutate.attachment.size", index),
      };
      d.overlay.addAttachment(index, o, attachment);
      audit(o, "attachment_uploaded", { resourceType: "attachment", gid: attachment.gid, name: attachment.name, email: null, subtype: "asana" });
      const taskRef: ResourceRef = { gid: this.taskRef(o).gid, resource_type: "task" };
      emit({ type: "attachment", action: "added", resource: { gid: attachment.gid, resource_type: "attachment" }, parent: taskRef }, this.resourcesOf(o));
      result.attachedTasks.push(taskRef.gid);
      result.newAttachments.push(attachment.gid);
    }
    for (const o of edited) {
      d.overlay.setPatch(o, { modifiedAt: now, notes: editNotes });
      emit({ type: "task", action: "changed", resource: this.taskRef(o), parent: null, change: { field: "notes", action: "changed" } }, this.resourcesOf(o));
      result.editedSubtasks.push(this.taskRef(o).gid);
    }
    return result;
  }

  private taskRef(ordinal: number): ResourceRef {
    const t = this.dataset.facts.task(ordinal);
    return { gid: t.gid, resource_type: "task", resource_subtype: t.subtype };
  }

  /** The top-level ancestor of a task (itself when top-level). */
  private root(ordinal: number): number {
    let o = ordinal;
    for (let guard = 0; this.dataset.structure.tasks[o]!.parent >= 0 && guard < 100; guard++) o = this.dataset.structure.tasks[o]!.parent;
    return o;
  }

  /** Where a task's events show: the task, its ancestors and the top-level task's projects. */
  private resourcesOf(ordinal: number): string[] {
    const d = this.dataset;
    const out: string[] = [];
    let o = ordinal;
    for (let guard = 0; o >= 0 && guard < 100; guard++) {
      out.push(d.gids.encode(KIND.task, o));
      const node = d.structure.tasks[o]!;
      if (node.parent < 0) for (const p of node.projects) out.push(d.gids.encode(KIND.project, p));
      o = node.parent;
    }
    return out;
  }

  private subtree(ordinal: number): number[] {
    const out: number[] = [];
    const stack = [ordinal];
    while (stack.length > 0 && out.length < 1_000_000) {
      const o = stack.pop()!;
      out.push(o);
      stack.push(...this.dataset.structure.tasks[o]!.children);
    }
    return out;
  }
}
