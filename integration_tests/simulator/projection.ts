/**
 * What a response shows of a record: `opt_fields` parsed into a tree of requested paths, and the
 * one shaping rule every response follows (lists with or without opt_fields, single-object GETs).
 *
 * The shaping rule, applied to every nested value:
 * - a *resource* (an object carrying both `gid` and `resource_type`), or each one in an array,
 *   comes back as `{gid, resource_type}` plus the sub-fields the tree asks for under it, each
 *   shaped by the same rule;
 * - any other object (memberships items `{project, section}`, `external`, `photo`, `date_value`,
 *   likes `{gid, user}`...) keeps all its keys, and the resources inside it are shaped by the same
 *   rule with the sub-paths requested under it (none: they come back compact);
 * - scalars and null come back as they are.
 *
 * A full record (single-object GET without opt_fields, and the ground truth) is the same rule
 * applied with the tree of every path the spec describes (`fullTree`): every top-level field, and
 * under each nested object of level 1 or 2 every property of its component (the depth of the
 * connector's JSON schemas; FieldSpecs carry properties to that depth and no further). So a list
 * call naming all those paths (`fullRecordPaths`) returns exactly the full record, and resources
 * at level 3 or deeper are compact there unless a dotted path asks for more.
 */
import { ApiError } from "./errors.js";
import { COMPACT_FIELDS, type FieldSpec, RECORD_FIELDS, type StreamName } from "./fields.js";
import type { ApiRecord, Json } from "./records.js";

/** Requested sub-paths: field name -> what is requested under it (an empty tree: the field alone). */
export type PathTree = ReadonlyMap<string, PathTree>;
type MutableTree = Map<string, MutableTree>;

/** What a request asked for: `null` = the compact record (no opt_fields). */
export interface Projection {
  tree: PathTree | null;
}

export const COMPACT: Projection = { tree: null };

const EMPTY: PathTree = new Map();

/** Spec-listed opt_fields that are pagination metadata, not record fields: accepted and ignored. */
const IGNORED_OPT_FIELDS = new Set(["offset", "path", "uri"]);

/** The spec of the elements of a field: an array's items (at any nesting), else the field itself. */
function elementSpec(spec: FieldSpec): FieldSpec {
  let s = spec;
  while (s.type === "array" && s.items !== undefined) s = s.items;
  return s;
}

/** The resource type name used in messages about a nested component, e.g. UserCompact -> user. */
function typeNameOf(spec: FieldSpec, field: string): string {
  if (spec.ref === undefined) return field;
  return spec.ref
    .replace(/(Compact|Response|Base)$/, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

/**
 * Parses `opt_fields` against a stream's spec. Every segment of a dotted path must be a property
 * of the object it names (a top-level field, then the nested component's properties): an unknown
 * one is a 400 `opt_fields: Unknown field "x" for type <type>`. Below an opaque object (no
 * properties in the spec: objects deeper than level 2, or ones the spec leaves open) any
 * sub-field is accepted; below a scalar none is.
 */
export function parseOptFields(stream: StreamName, raw: string | null, typeName: string): Projection {
  if (raw === null) return COMPACT;
  const root: MutableTree = new Map();
  for (const item of raw.split(",")) {
    const path = item.trim();
    if (path === "") continue;
    const segments = path.split(".");
    if (segments.length === 1 && IGNORED_OPT_FIELDS.has(path)) continue;
    let node = root;
    /** The properties the next segment must be one of; undefined = opaque (anything goes). */
    let known: Readonly<Record<string, FieldSpec>> | undefined = RECORD_FIELDS[stream];
    let scalar: string | undefined;
    let owner = typeName;
    for (const segment of segments) {
      if (segment === "") break;
      if (scalar !== undefined || (known !== undefined && !Object.hasOwn(known, segment))) {
        throw new ApiError(400, `opt_fields: Unknown field "${segment}" for type ${scalar ?? owner}`);
      }
      const spec = known?.[segment];
      let child = node.get(segment);
      if (child === undefined) {
        child = new Map();
        node.set(segment, child);
      }
      node = child;
      if (spec === undefined) continue;
      const element = elementSpec(spec);
      known = element.properties;
      owner = typeNameOf(element, segment);
      scalar = element.type === "object" || element.type === "any" ? undefined : element.type;
    }
  }
  return { tree: inSpecOrder(root, RECORD_FIELDS[stream]) };
}

/** The tree with each level in spec order where the spec lists the properties (else as requested). */
function inSpecOrder(tree: PathTree, props: Readonly<Record<string, FieldSpec>> | undefined): PathTree {
  const names = props === undefined ? [...tree.keys()] : Object.keys(props).filter((name) => tree.has(name));
  return new Map(
    names.map((name) => {
      const spec = props?.[name];
      return [name, inSpecOrder(tree.get(name)!, spec === undefined ? undefined : elementSpec(spec).properties)];
    }),
  );
}

/** The tree of every path the spec describes under one field (see the header comment). */
function specTree(spec: FieldSpec): PathTree {
  const props = elementSpec(spec).properties;
  if (props === undefined) return EMPTY;
  return new Map(Object.entries(props).map(([name, sub]) => [name, specTree(sub)]));
}

const FULL_TREES = new Map<StreamName, PathTree>();
const COMPACT_TREES = new Map<StreamName, PathTree>();

/** Every path of a stream's full record: all top-level fields and the nested properties to depth 2. */
export function fullTree(stream: StreamName): PathTree {
  let tree = FULL_TREES.get(stream);
  if (tree === undefined) {
    tree = new Map(Object.entries(RECORD_FIELDS[stream]).map(([name, spec]) => [name, specTree(spec)]));
    FULL_TREES.set(stream, tree);
  }
  return tree;
}

/**
 * The compact record's tree: the `<X>Compact` top-level fields, each as in the full record (so a
 * compact record is the full record restricted to those fields; webhooks list the whole record).
 */
function compactTree(stream: StreamName): PathTree {
  let tree = COMPACT_TREES.get(stream);
  if (tree === undefined) {
    const full = fullTree(stream);
    tree = new Map(COMPACT_FIELDS[stream].map((name) => [name, full.get(name) ?? EMPTY]));
    COMPACT_TREES.set(stream, tree);
  }
  return tree;
}

/**
 * The opt_fields that make a list record equal the full record: every top-level field and every
 * dotted path to the end of the spec's nested properties (leaves only; `a.b` implies `a`).
 */
export function fullRecordPaths(stream: StreamName): string[] {
  const out: string[] = [];
  const visit = (tree: PathTree, prefix: string): void => {
    for (const [name, sub] of tree) {
      const path = prefix === "" ? name : `${prefix}.${name}`;
      if (sub.size === 0) out.push(path);
      else visit(sub, path);
    }
  };
  visit(fullTree(stream), "");
  return out;
}

/** Shapes one nested value by the rule in the header comment. */
function shapeValue(value: Json, tree: PathTree | undefined): Json {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => shapeValue(item, tree));
  const gid = value.gid;
  const resourceType = value.resource_type;
  if (typeof gid === "string" && typeof resourceType === "string") {
    // A resource: compact plus what the tree asks for.
    const out: ApiRecord = { gid, resource_type: resourceType };
    if (tree === undefined) return out;
    for (const [key, sub] of tree) {
      const field = value[key];
      if (field !== undefined && key !== "gid" && key !== "resource_type") out[key] = shapeValue(field, sub);
    }
    return out;
  }
  const out: ApiRecord = {};
  for (const key in value) out[key] = shapeValue(value[key]!, tree?.get(key));
  return out;
}

/**
 * A record as a response shows it: `gid`, then the requested top-level fields (trees list them in
 * spec order), each shaped. `source` is the builder's spec-completed record (records.ts), which may carry more
 * below level 2 than the full record shows.
 */
export function shapeRecord(source: ApiRecord, tree: PathTree): ApiRecord {
  const out: ApiRecord = { gid: source.gid! };
  for (const [name, sub] of tree) if (name !== "gid") out[name] = shapeValue(source[name] ?? null, sub);
  return out;
}

/**
 * The full record (single-object GET without opt_fields; the ground truth): `shapeRecord` with
 * the full tree. A source record has exactly the stream's fields in spec order, the full tree's
 * order, so only its nested values need shaping (a shortcut: every ground-truth record passes here).
 */
export function fullView(stream: StreamName, source: ApiRecord): ApiRecord {
  const out: ApiRecord = { ...source };
  for (const [name, sub] of fullTree(stream)) {
    const value = out[name];
    if (value !== null && typeof value === "object") out[name] = shapeValue(value, sub);
  }
  return out;
}

/** What a list (or, with opt_fields, a single-object GET) returns for a projection. */
export function project(stream: StreamName, source: ApiRecord, projection: Projection): ApiRecord {
  return shapeRecord(source, projection.tree ?? compactTree(stream));
}
