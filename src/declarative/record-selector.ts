/**
 * RecordSelector with DpathExtractor and RecordFilter (PROTOCOL-NOTES §2.3): a list at the path
 * gives one record per object, a non-empty object is one record, anything else none.
 */
import { systemError } from "../errors.js";
import { interpolateBoolean, interpolateString, type InterpolationContext } from "../manifest/interpolation.js";
import { type ManifestNode, child, nodeType, optionalChild, optionalString, unsupported } from "./node.js";

export type Record_ = Record<string, unknown>;

export class RecordFilter {
  constructor(readonly condition: string) {}

  static from(node: ManifestNode | undefined, where: string): RecordFilter | undefined {
    if (!node) return undefined;
    if (nodeType(node) !== "RecordFilter") unsupported(node, where, ["RecordFilter"]);
    const condition = optionalString(node, "condition", where);
    return condition ? new RecordFilter(condition) : undefined;
  }

  keep(record: Record_, context: InterpolationContext): boolean {
    return interpolateBoolean(this.condition, { ...context, record });
  }
}

export class RecordSelector {
  constructor(
    private readonly fieldPath: string[],
    readonly filter: RecordFilter | undefined,
  ) {}

  static from(node: ManifestNode, where: string, config: Record<string, unknown>): RecordSelector {
    if (nodeType(node) !== "RecordSelector") unsupported(node, where, ["RecordSelector"]);
    const extractor = child(node, "extractor", where);
    if (nodeType(extractor) !== "DpathExtractor") unsupported(extractor, `${where}.extractor`, ["DpathExtractor"]);
    const rawPath = extractor.field_path;
    if (!Array.isArray(rawPath)) throw systemError(`Manifest: ${where}.extractor.field_path must be a list`);
    const fieldPath = rawPath.map((p) => interpolateString(String(p), { config }));
    return new RecordSelector(fieldPath, RecordFilter.from(optionalChild(node, "record_filter", where), `${where}.record_filter`));
  }

  /**
   * What is wrong with a successful answer's shape, or undefined when it holds records where the
   * extractor looks: the path must exist and end at a list of objects or an object. (A path with
   * `*` is not checked: its branches may legitimately be empty.)
   */
  shapeProblem(body: unknown): string | undefined {
    if (this.fieldPath.includes("*")) return undefined;
    let node: unknown = body;
    const seen: string[] = [];
    for (const segment of this.fieldPath) {
      const container = node;
      if (Array.isArray(container) && /^\d+$/.test(segment)) node = container[Number(segment)];
      else if (container && typeof container === "object" && !Array.isArray(container)) node = (container as Record_)[segment];
      else node = undefined;
      seen.push(segment);
      if (node === undefined) return `the response has no "${seen.join(".")}"`;
    }
    const where = this.fieldPath.length ? `"${this.fieldPath.join(".")}"` : "the response";
    if (Array.isArray(node)) {
      const bad = node.findIndex((r) => !r || typeof r !== "object" || Array.isArray(r));
      return bad < 0 ? undefined : `${where}[${bad}] is ${kindOf(node[bad])}, not a record`;
    }
    if (node && typeof node === "object") return undefined;
    return `${where} is ${kindOf(node)}, not a list of records`;
  }

  select(body: unknown, context: InterpolationContext): Record_[] {
    const found = extract(body, this.fieldPath);
    const records = found.filter((r): r is Record_ => !!r && typeof r === "object" && !Array.isArray(r));
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
        next.push((node as Record_)[segment]);
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
    node = (node as Record_)[s];
  }
  return node;
}
