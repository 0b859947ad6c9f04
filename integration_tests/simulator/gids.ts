/**
 * Asana-looking gids (16-digit numeric strings) that encode what they identify:
 *
 *   gid = 1_200_000_000_000_000 + seedSlot * 10^13 + kind * 10^11 + index
 *
 * Kinds occupy disjoint ranges, so gids are unique across all types, a gid's type is known
 * without a lookup table (a project gid in a task path is "Not a recognized ID"), and the index
 * inside a kind can pack a parent ordinal (e.g. story index = task ordinal * 8 + j). The seed
 * slot makes different seeds produce different gids. All values stay below 2^53.
 */

export const KIND = {
  workspace: 1,
  user: 2,
  team: 3,
  teamMembership: 4,
  workspaceMembership: 5,
  project: 6,
  section: 7,
  task: 8,
  tag: 9,
  story: 10,
  taskAttachment: 11,
  projectAttachment: 12,
  projectTemplate: 13,
  statusUpdate: 14,
  webhook: 15,
  userTaskList: 16,
  like: 17,
  dateVariable: 18,
  templateRole: 19,
  customField: 20,
  enumOption: 21,
  customFieldSetting: 22,
  taskTemplate: 23,
  portfolio: 24,
  goal: 25,
  goalRelationship: 26,
  timePeriod: 27,
  auditEvent: 28,
  portfolioCustomFieldSetting: 29,
  goalMetric: 30,
} as const;
export type Kind = (typeof KIND)[keyof typeof KIND];

const BASE = 1_200_000_000_000_000;
const SEED_SLOTS = 64;
const SEED_SPAN = 10_000_000_000_000; // 10^13
const KIND_SPAN = 100_000_000_000; // 10^11

/** Children packed into a parent's index: up to this many per parent. */
export const STORIES_PER_TASK_SLOT = 8;
export const ATTACHMENTS_PER_PARENT_SLOT = 4;
export const STATUS_UPDATES_PER_PROJECT_SLOT = 4;
export const LIKES_PER_OBJECT_SLOT = 4;
/** Custom fields per workspace, custom field settings per project, enum options per custom field. */
export const CUSTOM_FIELDS_PER_WORKSPACE_SLOT = 16;
export const ENUM_OPTIONS_PER_FIELD_SLOT = 16;
/** Task templates per project, relationships per supported goal, time periods per workspace. */
export const TASK_TEMPLATES_PER_PROJECT_SLOT = 4;
export const GOAL_RELATIONSHIPS_PER_GOAL_SLOT = 8;
export const TIME_PERIODS_PER_WORKSPACE_SLOT = 64;
/** Audit events per workspace (generated ones first, then those the mutations add). */
export const AUDIT_EVENTS_PER_WORKSPACE_SLOT = 1_000_000_000;

export class GidCodec {
  private readonly origin: number;

  constructor(seed: number) {
    this.origin = BASE + (((seed % SEED_SLOTS) + SEED_SLOTS) % SEED_SLOTS) * SEED_SPAN;
  }

  encode(kind: Kind, index: number): string {
    if (!Number.isInteger(index) || index < 0 || index >= KIND_SPAN) throw new RangeError(`gid index out of range: ${index}`);
    return String(this.origin + kind * KIND_SPAN + index);
  }

  /** The kind and index a gid encodes, or undefined when it is not one of this dataset's gids. */
  decode(gid: string): { kind: number; index: number } | undefined {
    if (!/^\d{1,16}$/.test(gid)) return undefined;
    const offset = Number(gid) - this.origin;
    if (offset < 0 || offset >= SEED_SPAN) return undefined;
    return { kind: Math.floor(offset / KIND_SPAN), index: offset % KIND_SPAN };
  }

  /** The index when `gid` is of `kind`, else undefined. */
  indexOf(gid: string, kind: Kind): number | undefined {
    const decoded = this.decode(gid);
    return decoded !== undefined && decoded.kind === kind ? decoded.index : undefined;
  }
}
