/**
 * The mutation overlay: what changed since the generated dataset, kept apart from it. Facts
 * (facts.ts) patch task attributes and append new stories/attachments from here; the Dataset
 * hides deleted tasks; created tasks are appended to the structure (their attributes are derived
 * like any other task's, then patched). Nothing of the base is copied.
 */
import type { AttachmentFacts, StoryFacts, TaskFacts } from "./facts.js";

/**
 * Indices of stories and attachments created by mutations start here (inside their kind's gid
 * range, far above every generated index), so their gids never collide with generated ones.
 */
export const EXTRA_INDEX_BASE = 90_000_000_000;

export type TaskPatch = Partial<Omit<TaskFacts, "gid" | "ordinal" | "workspace">>;

export class Overlay {
  /** Deleted task ordinals (a deleted task's subtasks included). */
  readonly deleted = new Set<number>();
  /** Task ordinals created by mutations (they have no generated stories or attachments). */
  readonly created = new Set<number>();
  /** Gids of deleted comment stories (their task lives on). */
  readonly deletedStories = new Set<string>();
  /** Incremented on every change (lets readers drop their caches). */
  version = 0;
  private readonly patches = new Map<number, TaskPatch>();
  private readonly storiesByTask = new Map<number, StoryFacts[]>();
  private readonly storiesByIndex = new Map<number, StoryFacts>();
  private readonly attachmentsByTask = new Map<number, AttachmentFacts[]>();
  private readonly attachmentsByIndex = new Map<number, AttachmentFacts>();
  private nextStory = EXTRA_INDEX_BASE;
  private nextAttachment = EXTRA_INDEX_BASE;

  get empty(): boolean {
    return this.version === 0;
  }

  patch(ordinal: number): TaskPatch | undefined {
    return this.patches.get(ordinal);
  }

  setPatch(ordinal: number, patch: TaskPatch): void {
    this.patches.set(ordinal, { ...this.patches.get(ordinal), ...patch });
    this.version++;
  }

  markCreated(ordinal: number): void {
    this.created.add(ordinal);
    this.version++;
  }

  markDeleted(ordinals: Iterable<number>): void {
    for (const o of ordinals) this.deleted.add(o);
    this.version++;
  }

  markStoryDeleted(gid: string): void {
    this.deletedStories.add(gid);
    this.version++;
  }

  /** Reserves the index of a new story. */
  newStoryIndex(): number {
    return this.nextStory++;
  }

  newAttachmentIndex(): number {
    return this.nextAttachment++;
  }

  addStory(index: number, story: StoryFacts): void {
    const list = this.storiesByTask.get(story.task) ?? [];
    list.push(story);
    this.storiesByTask.set(story.task, list);
    this.storiesByIndex.set(index, story);
    this.version++;
  }

  addAttachment(index: number, ordinal: number, attachment: AttachmentFacts): void {
    const list = this.attachmentsByTask.get(ordinal) ?? [];
    list.push(attachment);
    this.attachmentsByTask.set(ordinal, list);
    this.attachmentsByIndex.set(index, attachment);
    this.version++;
  }

  stories(ordinal: number): readonly StoryFacts[] {
    return this.storiesByTask.get(ordinal) ?? [];
  }

  storyByIndex(index: number): StoryFacts | undefined {
    return this.storiesByIndex.get(index);
  }

  attachments(ordinal: number): readonly AttachmentFacts[] {
    return this.attachmentsByTask.get(ordinal) ?? [];
  }

  attachmentByIndex(index: number): AttachmentFacts | undefined {
    return this.attachmentsByIndex.get(index);
  }
}
