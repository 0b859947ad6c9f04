/**
 * Asana's `opt_fields` for a stream, derived from its JSON schema, and the rewrite of the
 * manifest's `QueryProperties.property_list` entries that carry them. Used by scripts/gen-schemas.ts.
 *
 * Why dotted paths: Asana answers a nested resource asked for by name (`opt_fields=assignee`) with
 * `{gid, resource_type}` only; its other fields need dotted paths (`assignee.name`,
 * `memberships.section.name`, `custom_fields.enum_value.name`). So a list call returns the record
 * a single-object GET returns only when `opt_fields` names every leaf the schema describes.
 *
 * Rules (pure, deterministic, in schema property order):
 * - a property whose schema (or whose array items) has no `properties` is named as is (`notes`,
 *   `tags` when tags are opaque, `photo`);
 * - an object (or array of objects) with `properties` is replaced by the paths of its
 *   sub-properties, recursively (`assignee.resource_type`, `assignee.name`); `gid` is left out at
 *   every level (Asana always returns it), and an object described only by `gid` is named as is;
 * - the root `gid` is never listed, nor the properties the connector adds itself
 *   (`excluded`, e.g. `_ab_cdc_deleted_at`).
 */
import { type Document, type Node, type ParsedNode, YAMLMap, YAMLSeq, isMap, isScalar, isSeq, parseDocument, stringify } from "yaml";
import { topLevelField } from "../src/declarative/requester.js";
import type { JsonObject } from "./oas-convert.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The properties described by an object schema, or by the items of an array schema. */
function describedProperties(schema: Obj): Obj | undefined {
  if (isObj(schema.properties) && Object.keys(schema.properties).length > 0) return schema.properties;
  if (isObj(schema.items)) return describedProperties(schema.items);
  return undefined;
}

function pathsOf(name: string, schema: Obj): string[] {
  const nested = describedProperties(schema);
  if (nested === undefined) return [name];
  const paths: string[] = [];
  for (const [sub, subSchema] of Object.entries(nested)) {
    if (sub === "gid" || !isObj(subSchema)) continue;
    paths.push(...pathsOf(`${name}.${sub}`, subSchema));
  }
  return paths.length === 0 ? [name] : paths;
}

/** Every `opt_fields` path of a stream schema (see the header comment). */
export function optFieldPaths(schema: JsonObject, excluded: readonly string[] = []): string[] {
  const properties = isObj(schema.properties) ? schema.properties : {};
  const paths: string[] = [];
  for (const [name, property] of Object.entries(properties)) {
    if (name === "gid" || excluded.includes(name) || !isObj(property)) continue;
    paths.push(...pathsOf(name, property));
  }
  return paths;
}

// -----------------------------------------------------------------------------------------------
// Manifest rewrite

export class ManifestRewriteError extends Error {}

/**
 * The schema a stream definition reads: the top-level `schemas` entry its InlineSchemaLoader
 * references (`schema: {$ref: "#/schemas/tasks"}`), the file of its JsonFileSchemaLoader when the
 * path is literal (`./schemas/tasks.json`), else `$parameters.name`.
 */
function schemaNameOf(stream: YAMLMap, where: string): string {
  const loader = stream.get("schema_loader");
  const inline = isMap(loader) ? loader.get("schema") : undefined;
  const ref = isMap(inline) ? inline.get("$ref") : undefined;
  if (typeof ref === "string") {
    const match = /^#\/schemas\/([^/]+)$/.exec(ref);
    if (match) return match[1]!;
  }
  const file = isMap(loader) ? loader.get("file_path") : undefined;
  if (typeof file === "string" && !file.includes("{{")) {
    const match = /([^/]+)\.json$/.exec(file);
    if (match) return match[1]!;
  }
  const parameters = stream.get("$parameters");
  const name = isMap(parameters) ? parameters.get("name") : undefined;
  if (typeof name === "string") return name;
  throw new ManifestRewriteError(`${where}: cannot tell which schema this stream reads`);
}

interface Slot {
  where: string;
  schema: string;
  node: YAMLSeq<unknown> & ParsedNode;
  indent: number;
}

function propertyListSlots(doc: Document.Parsed, source: string): Slot[] {
  const streams = doc.getIn(["definitions", "streams"]);
  if (!isMap(streams)) throw new ManifestRewriteError("manifest: definitions.streams is missing");
  const slots: Slot[] = [];
  for (const pair of streams.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : "";
    const stream = pair.value;
    if (!isMap(stream)) continue;
    const where = `definitions.streams.${name}`;
    const optFields = stream.getIn(["retriever", "requester", "request_parameters", "opt_fields"], true) as Node | undefined;
    if (!isMap(optFields) || optFields.get("type") !== "QueryProperties") continue;
    const list = optFields.get("property_list", true);
    if (!isSeq(list) || list.range === undefined || list.range === null) {
      throw new ManifestRewriteError(`${where}: opt_fields.property_list must be a sequence`);
    }
    const lineStart = source.lastIndexOf("\n", list.range[0]) + 1;
    const keyIndent = /^ */.exec(source.slice(lineStart))![0].length;
    slots.push({ where, schema: schemaNameOf(stream, where), node: list as YAMLSeq<unknown> & ParsedNode, indent: keyIndent });
  }
  return slots;
}

/**
 * A flow sequence of `paths`, one line per top-level field (several short ones share a line up to
 * `width` characters), indented two spaces deeper than the `property_list:` key.
 */
export function formatPropertyList(paths: readonly string[], keyIndent: number, width = 100): string {
  const groups: string[][] = [];
  for (const path of paths) {
    const last = groups.at(-1);
    if (last !== undefined && topLevelField(last[0]!) === topLevelField(path)) last.push(path);
    else groups.push([path]);
  }
  const pad = " ".repeat(keyIndent + 2);
  const lines: string[] = [];
  let line = "";
  for (const group of groups) {
    if (group.length > 1 && line !== "") {
      lines.push(line);
      line = "";
    }
    for (const path of group) {
      const piece = `${path},`;
      if (line !== "" && pad.length + line.length + 1 + piece.length > width) {
        lines.push(line);
        line = "";
      }
      line = line === "" ? piece : `${line} ${piece}`;
    }
    // A field with sub-paths starts and ends its own line(s).
    if (group.length > 1) {
      lines.push(line);
      line = "";
    }
  }
  if (line !== "") lines.push(line);
  const body = lines.map((l) => `${pad}${l}`).join("\n").replace(/,$/, "");
  return `[\n${body}\n${" ".repeat(keyIndent)}]`;
}

/**
 * The manifest text with every QueryProperties `property_list` under definitions.streams replaced
 * by the paths of the schema that stream reads (`pathsBySchema`: schema name -> paths). Only those
 * sequences change; comments and everything else stay byte for byte.
 */
export function rewriteManifest(source: string, pathsBySchema: ReadonlyMap<string, readonly string[]>): string {
  const doc = parseDocument(source, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new ManifestRewriteError(`manifest: ${doc.errors[0]!.message}`);
  const slots = propertyListSlots(doc, source).sort((a, b) => b.node.range[0] - a.node.range[0]);
  let out = source;
  for (const slot of slots) {
    const paths = pathsBySchema.get(slot.schema);
    if (paths === undefined) throw new ManifestRewriteError(`${slot.where}: no schema named ${slot.schema}`);
    const [start, end] = slot.node.range;
    out = `${out.slice(0, start)}${formatPropertyList(paths, slot.indent)}${out.slice(end)}`;
  }
  return out;
}

/**
 * The condition of the generated AddFields: a dotted path counts as selected when its top-level
 * field is (Airbyte's `condition` context holds the field's `path` and the selected properties as
 * `record`).
 */
export const NESTED_PATH_CONDITION = "{{ path[0].split('.')[0] in record }}";

/**
 * A JsonSchemaPropertySelector, as YAML text starting at its first key, indented `indent` spaces.
 * Airbyte's runtime keeps a `property_list` entry only when the catalog selects exactly that name,
 * so without transformations it would never ask for a dotted path (`assignee.name`) and the nested
 * objects would be missing from its records. One AddFields adds every dotted path of `paths` to the
 * selected names, each one when its top-level field is selected (NESTED_PATH_CONDITION).
 */
export function formatPropertySelector(paths: readonly string[], indent: number): string {
  const dotted = paths.filter((p) => p.includes("."));
  const pad = " ".repeat(indent);
  const lines = ["type: JsonSchemaPropertySelector"];
  if (dotted.length > 0) {
    lines.push(`${pad}# Generated (npm run gen:schemas): Airbyte's runtime keeps only exactly selected names;`);
    lines.push(`${pad}# this keeps the dotted sub-fields of every selected field.`);
    lines.push(`${pad}transformations:`);
    lines.push(`${pad}  - type: AddFields`);
    lines.push(`${pad}    condition: ${JSON.stringify(NESTED_PATH_CONDITION)}`);
    lines.push(`${pad}    fields:`);
    for (const path of dotted) lines.push(`${pad}      - { type: AddedFieldDefinition, path: [${JSON.stringify(path)}], value: "selected" }`);
  }
  return lines.join("\n");
}

/**
 * The manifest text with the JsonSchemaPropertySelector of every QueryProperties under
 * definitions.streams written for its `property_list` (formatPropertySelector). Only those
 * selectors change.
 */
export function rewritePropertySelectors(source: string): string {
  const doc = parseDocument(source, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new ManifestRewriteError(`manifest: ${doc.errors[0]!.message}`);
  const selectors: Array<{ node: YAMLMap & ParsedNode; paths: string[] }> = [];
  for (const slot of propertyListSlots(doc, source)) {
    const optFields = doc.getIn(["definitions", "streams", slot.where.replace(/^definitions\.streams\./, ""), "retriever", "requester", "request_parameters", "opt_fields"], true);
    const selector = isMap(optFields) ? optFields.get("property_selector", true) : undefined;
    if (selector === undefined) continue;
    if (!isMap(selector) || selector.range === undefined || selector.range === null) {
      throw new ManifestRewriteError(`${slot.where}: opt_fields.property_selector must be a mapping`);
    }
    selectors.push({ node: selector as YAMLMap & ParsedNode, paths: (slot.node.toJSON() as unknown[]).map(String) });
  }
  let out = source;
  for (const { node, paths } of selectors.sort((a, b) => b.node.range[0] - a.node.range[0])) {
    const [start, end] = node.range;
    const indent = start - (source.lastIndexOf("\n", start) + 1);
    const tail = /\n*$/.exec(source.slice(start, end))![0];
    out = `${out.slice(0, start)}${formatPropertySelector(paths, indent)}${tail}${out.slice(end)}`;
  }
  return out;
}

/** The comment above the manifest's top-level `schemas` (written with it). */
export const SCHEMAS_HEADER = [
  "# --- stream schemas ------------------------------------------------------------------------",
  "# Generated by scripts/gen-schemas.ts (npm run gen:schemas) from schemas/<stream>.json: do not",
  "# edit by hand. Inline (InlineSchemaLoader), as Airbyte's manifest-only connectors have them: a",
  "# manifest runs with no files beside it.",
].join("\n");

/**
 * The manifest text with its top-level `schemas` (the last top-level key, after SCHEMAS_HEADER)
 * replaced by `schemas` (name -> JSON schema, in the given order), or appended when missing.
 * Everything before it stays byte for byte.
 */
export function rewriteSchemas(source: string, schemas: ReadonlyMap<string, JsonObject>): string {
  const block = stringify({ schemas: Object.fromEntries(schemas) }, { indent: 2, lineWidth: 0, minContentWidth: 0 });
  const generated = `${SCHEMAS_HEADER}\n${block}`;
  const header = source.indexOf(`${SCHEMAS_HEADER}\n`);
  const key = /^schemas:/m.exec(source);
  if (header === -1 && key === null) return `${source.replace(/\n*$/, "\n")}\n${generated}`;
  if (header === -1 || key === null || key.index !== header + SCHEMAS_HEADER.length + 1) {
    throw new ManifestRewriteError("manifest: the top-level schemas must follow its generated header comment");
  }
  const rest = source.slice(key.index + 1);
  const next = /\n(?=[^\s#])/.exec(rest);
  if (next !== null) throw new ManifestRewriteError("manifest: the top-level schemas must be the last top-level key");
  return `${source.slice(0, header)}${generated}`;
}
