/**
 * RecordSelector with DpathExtractor and RecordFilter, as in Airbyte's CDK: a list at the path
 * gives one record per object, a non-empty object is one record, anything else none. (The
 * fetcher refuses an object on a paginated stream: see `shapeProblem`.) Records are
 * the API's JSON objects as they come (`ApiRecord`), before the engine adds anything.
 */
import { systemError } from "../errors.js";
import { interpolateBoolean, interpolateString, type InterpolationContext } from "../manifest/interpolation.js";
import type { DpathExtractor, RecordFilter as RecordFilterNode } from "../manifest/components.generated.js";
import {
  type Config,
  type Registry,
  asComponent,
  buildWith,
  child,
  optionalChild,
  optionalString,
  rejectUnread,
} from "./node.js";

/** One record as the API sent it: a JSON object. */
export type ApiRecord = Record<string, unknown>;

export class RecordFilter {
  constructor(readonly condition: string) {}

  static from(node: object | undefined, where: string): RecordFilter | undefined {
    return node ? buildWith(RECORD_FILTERS, node, where, undefined) : undefined;
  }

  keep(record: ApiRecord, context: InterpolationContext): boolean {
    return interpolateBoolean(this.condition, { ...context, record });
  }
}

function recordFilter(node: RecordFilterNode, where: string): RecordFilter | undefined {
  rejectUnread(node, "RecordFilter", where, ["condition"]);
  const condition = optionalString(node, "condition", where);
  return condition ? new RecordFilter(condition) : undefined;
}

/** `record_filter` components: a condition a record must meet. */
export const RECORD_FILTERS = {
  RecordFilter: recordFilter,
} satisfies Registry<undefined, RecordFilter | undefined>;

/** The path where records are, interpolated with the config. */
function dpathExtractor(node: DpathExtractor, where: string, config: Config): string[] {
  rejectUnread(node, "DpathExtractor", where, ["field_path"]);
  const rawPath: unknown = node.field_path;
  if (!Array.isArray(rawPath)) throw systemError(`Manifest: ${where}.field_path must be a list`);
  return rawPath.map((p) => interpolateString(String(p), { config }));
}

/** `extractor` components: where a response holds its records. */
export const EXTRACTORS = {
  DpathExtractor: dpathExtractor,
} satisfies Registry<Config, string[]>;

export class RecordSelector {
  constructor(
    private readonly fieldPath: string[],
    readonly filter: RecordFilter | undefined,
  ) {}

  static from(component: object, where: string, config: Config): RecordSelector {
    const node = asComponent(component, "RecordSelector", where);
    // transform_before_filtering only orders transformations, which DeclarativeStream rejects.
    rejectUnread(node, "RecordSelector", where, [
      "extractor", "record_filter", "schema_normalization", "transform_before_filtering",
    ]);
    const normalization: unknown = node.schema_normalization;
    if (normalization !== undefined && normalization !== "None") {
      throw systemError(
        `Manifest: ${where}.schema_normalization is not supported (records are emitted as the API sends them); remove it`,
      );
    }
    const fieldPath = buildWith(EXTRACTORS, child(node, "extractor", where), `${where}.extractor`, config);
    return new RecordSelector(fieldPath, RecordFilter.from(optionalChild(node, "record_filter", where), `${where}.record_filter`));
  }

  /**
   * What is wrong with a successful answer's shape, or undefined when it holds records where the
   * extractor looks: the path must exist and end at a list of objects or, unless `expectList`
   * (a paginated stream: its pages are lists), an object (one record: a lookup by id). (A path
   * with `*` is not checked: its branches may legitimately be empty.)
   */
  shapeProblem(body: unknown, expectList = false): string | undefined {
    if (this.fieldPath.includes("*")) return undefined;
    let node: unknown = body;
    const seen: string[] = [];
    for (const segment of this.fieldPath) {
      const container = node;
      if (Array.isArray(container) && /^\d+$/.test(segment)) node = container[Number(segment)];
      else if (container && typeof container === "object" && !Array.isArray(container)) node = (container as ApiRecord)[segment];
      else node = undefined;
      seen.push(segment);
      if (node === undefined) return `the response has no "${seen.join(".")}"`;
    }
    const where = this.fieldPath.length ? `"${this.fieldPath.join(".")}"` : "the response";
    if (Array.isArray(node)) {
      const bad = node.findIndex((r) => !r || typeof r !== "object" || Array.isArray(r));
      return bad < 0 ? undefined : `${where}[${bad}] is ${kindOf(node[bad])}, not a record`;
    }
    if (node && typeof node === "object") {
      return expectList ? `records at ${where} must be a list, got ${kindOf(node)}` : undefined;
    }
    return `${where} is ${kindOf(node)}, not a list of records`;
  }

  select(body: unknown, context: InterpolationContext): ApiRecord[] {
    return this.kept(this.extract(body), context);
  }

  /** The records where the extractor looks, before the record filter. */
  extract(body: unknown): ApiRecord[] {
    return extract(body, this.fieldPath).filter((r): r is ApiRecord => !!r && typeof r === "object" && !Array.isArray(r));
  }

  /** Those of `records` that the record filter keeps. */
  kept(records: ApiRecord[], context: InterpolationContext): ApiRecord[] {
    return this.filter ? records.filter((r) => this.filter!.keep(r, context)) : records;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type} (${JSON.stringify(value).slice(0, 40)})`;
}

function extract(body: unknown, path: string[]): unknown[] {
  let nodes: unknown[] = [body];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (segment === "*") {
        if (Array.isArray(node)) next.push(...node);
        else if (node && typeof node === "object") next.push(...Object.values(node));
      } else if (Array.isArray(node) && /^\d+$/.test(segment)) {
        next.push(node[Number(segment)]);
      } else if (node && typeof node === "object" && !Array.isArray(node)) {
        next.push((node as ApiRecord)[segment]);
      }
    }
    nodes = next.filter((n) => n !== undefined);
  }
  const out: unknown[] = [];
  for (const node of nodes) {
    if (Array.isArray(node)) out.push(...node);
    else if (node && typeof node === "object" && Object.keys(node).length > 0) out.push(node);
  }
  return out;
}

/** Reads a value at a path (list of keys, or a dotted string) from a record. */
export function valueAt(record: unknown, path: string | string[]): unknown {
  const segments = Array.isArray(path) ? path : path.split(".");
  let node: unknown = record;
  for (const s of segments) {
    if (!node || typeof node !== "object") return undefined;
    node = (node as ApiRecord)[s];
  }
  return node;
}
