/**
 * OpenAPI 3.0 component schema -> draft-07 JSON Schema that passes Airbyte's acceptance tests
 * (TestDiscovery / TestBasicRead: https://docs.airbyte.com/connector-development/testing-connectors/connector-acceptance-tests-reference).
 *
 * Used by scripts/gen-schemas.ts. Pure: no I/O, output depends only on the input document.
 *
 * Rules (what the output may contain):
 * - Keywords kept: `type`, `format` (only `date` and `date-time`), `items`, `properties`,
 *   `description` (shortened, top-level properties and the root, plus the known values of an
 *   enumeration at any level), `additionalProperties`
 *   (always `true`, on every schema whose type includes "object").
 * - Dropped: `example`, `x-*`, `readOnly`, `writeOnly`, `deprecated`, `required` (list endpoints
 *   return whatever `opt_fields` asked for, so no response field is guaranteed), other `format`s
 *   (`uri`, `email`, ...), and any other OAS keyword.
 * - `$ref` is resolved inline; `allOf` parts are merged left to right: `properties` are unioned and,
 *   for a property or keyword defined twice, the later definition wins. Keywords written next to the
 *   `allOf` (the node's own keys) are applied after its parts.
 * - `oneOf` / `anyOf` are merged into one permissive schema (none of them is reachable from the 15
 *   stream schemas in the current spec, but the merge is defined so a spec update cannot leak them):
 *     * `type`: the union of the variants' types (in order of first appearance, "null" last); if any
 *       variant has no determinable type the merged schema has no `type` (accepts anything). A mixed
 *       union such as ["string", "number"] is valid draft-07 but not Airbyte style ([T, "null"]):
 *       test/schemas.test.ts flags it, so a spec change that introduces one is noticed;
 *     * `properties`: the union over the object variants; a property present in several variants
 *       becomes the (recursively merged) union of its definitions;
 *     * `items`: the merged union of the variants' `items`;
 *     * `enum`: kept only if every variant has one (the union of their values); `format` only if all
 *       variants agree; `nullable` if any variant is nullable.
 *   `not`, `if`/`then`/`else`, `patternProperties`, `prefixItems`, `discriminator` are dropped (so the
 *   result is always a superset of what the OAS allows, never stricter).
 * - Nullability: Asana sends null in many fields its spec calls non-nullable, so every property at
 *   every level accepts null (`["string", "null"]`) whatever the spec says; only the root `gid`
 *   (the primary key) is a plain `string`. Array `items` stay non-null (see below).
 * - Vocabularies: Asana extends its enumerations over time (colours, subtypes, statuses), so no
 *   `enum` constraint is emitted; the known values go into the description instead
 *   ("Known values: a, b, c."), on nested properties too.
 * - Cycles and depth: object schemas nested deeper than `maxObjectDepth` levels below the root are
 *   emitted opaque, `{"type": ["object", "null"], "additionalProperties": true}`.
 *   Depth counts object boundaries: the root is level 0, a top-level property is level 1 (with the
 *   default of 2, `task.parent` -> TaskCompact keeps its own properties, and
 *   `task.memberships[].project` -> ProjectCompact keeps gid/resource_type/name, but objects inside
 *   those are opaque). Array `items` stay at the array's level. Recursion therefore always ends,
 *   whatever cycles the `$ref` graph has (task -> parent task, story -> story, ...).
 * - Array `items`: always one schema with a single type among object/string/number/integer/boolean
 *   (CAT `test_array_type`). An item loses the "null" every property gets; an
 *   item whose type cannot be made single (nested arrays, mixed unions) is an error, reported with
 *   its path, rather than silently producing an invalid schema.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
type Oas = Record<string, unknown>;

export interface ConvertOptions {
  /** Deepest object level that keeps its properties (root = 0). */
  maxObjectDepth: number;
  /** Longest description kept, in characters (cut at a sentence or word boundary). */
  maxDescription: number;
}

export const DEFAULT_CONVERT_OPTIONS: ConvertOptions = { maxObjectDepth: 2, maxDescription: 200 };

const ITEM_TYPES = new Set(["object", "string", "number", "integer", "boolean"]);
const KEPT_FORMATS = new Set(["date", "date-time"]);
const isObj = (v: unknown): v is Oas => typeof v === "object" && v !== null && !Array.isArray(v);

export class SchemaConversionError extends Error {}

export class OasConverter {
  private readonly components: Oas;
  private readonly options: ConvertOptions;

  constructor(document: unknown, options: Partial<ConvertOptions> = {}) {
    const schemas = isObj(document) && isObj(document.components) ? document.components.schemas : undefined;
    if (!isObj(schemas)) throw new SchemaConversionError("the OpenAPI document has no components.schemas");
    this.components = schemas;
    this.options = { ...DEFAULT_CONVERT_OPTIONS, ...options };
  }

  hasComponent(name: string): boolean {
    return isObj(this.components[name]);
  }

  /** Top-level property names of a component after `$ref`/`allOf` resolution, in spec order. */
  propertyNames(component: string): string[] {
    const flat = this.flatten({ $ref: `#/components/schemas/${component}` }, []);
    return isObj(flat.properties) ? Object.keys(flat.properties) : [];
  }

  /**
   * The root schema of a stream: `$schema`, `$comment`, `description`, `type: object`, the properties
   * and `additionalProperties: true`. `gid` is forced to `{"type": "string"}` (the primary key).
   */
  rootSchema(component: string, comment: string): JsonObject {
    if (!this.hasComponent(component)) throw new SchemaConversionError(`components.schemas.${component} does not exist`);
    const flat = this.flatten({ $ref: `#/components/schemas/${component}` }, []);
    const properties: JsonObject = {};
    const raw = isObj(flat.properties) ? flat.properties : {};
    for (const [name, value] of Object.entries(raw)) {
      properties[name] = this.convert(this.flatten(value, []), 1, `${component}.${name}`, true);
    }
    if (!("gid" in properties)) throw new SchemaConversionError(`${component} has no top-level gid property`);
    const gidDescription = (properties.gid as JsonObject).description;
    properties.gid = gidDescription === undefined ? { type: "string" } : { description: gidDescription, type: "string" };
    const root: JsonObject = { $schema: "http://json-schema.org/draft-07/schema#", $comment: comment };
    const description = this.shortDescription(flat.description);
    if (description !== undefined) root.description = description;
    root.type = "object";
    root.properties = properties;
    root.additionalProperties = true;
    return root;
  }

  // ---------------------------------------------------------------------------------------------
  // Flattening: resolve $ref / allOf / oneOf / anyOf at one node. Property values stay raw (they
  // are flattened lazily when converted), which is what keeps recursive specs finite.

  private lookup(ref: string): Oas {
    const prefix = "#/components/schemas/";
    if (!ref.startsWith(prefix)) throw new SchemaConversionError(`unsupported $ref ${ref}`);
    const target = this.components[ref.slice(prefix.length)];
    if (!isObj(target)) throw new SchemaConversionError(`unresolved $ref ${ref}`);
    return target;
  }

  /** `chain` holds the refs being expanded at this very node, to stop `A allOf [B]`, `B allOf [A]`. */
  private flatten(node: unknown, chain: string[]): Oas {
    if (!isObj(node)) return {};
    if (typeof node.$ref === "string") {
      // OAS 3.0: keywords next to a $ref are ignored.
      if (chain.includes(node.$ref)) return {};
      return this.flatten(this.lookup(node.$ref), [...chain, node.$ref]);
    }
    const { allOf, oneOf, anyOf, ...own } = node;
    let result: Oas = {};
    if (Array.isArray(allOf)) for (const part of allOf) result = mergeLaterWins(result, this.flatten(part, chain));
    const variants = [...(Array.isArray(oneOf) ? oneOf : []), ...(Array.isArray(anyOf) ? anyOf : [])];
    if (variants.length > 0) result = mergeLaterWins(result, this.union(variants.map((v) => this.flatten(v, chain))));
    return mergeLaterWins(result, own);
  }

  /** The permissive merge of oneOf/anyOf variants (see the header comment). */
  private union(variants: Oas[]): Oas {
    const out: Oas = {};
    const typeLists = variants.map(inferTypes);
    if (typeLists.every((t) => t.length > 0)) {
      const types: string[] = [];
      for (const list of typeLists) for (const t of list) if (t !== "null" && !types.includes(t)) types.push(t);
      out.type = types.length === 1 ? types[0] : types;
    }
    if (variants.some((v, i) => v.nullable === true || typeLists[i]!.includes("null"))) out.nullable = true;
    const propertySources = new Map<string, unknown[]>();
    for (const v of variants) {
      if (!isObj(v.properties)) continue;
      for (const [name, schema] of Object.entries(v.properties)) {
        const list = propertySources.get(name) ?? [];
        if (!list.includes(schema)) list.push(schema);
        propertySources.set(name, list);
      }
    }
    if (propertySources.size > 0) {
      const properties: Oas = {};
      for (const [name, list] of propertySources) properties[name] = list.length === 1 ? list[0] : { anyOf: list };
      out.properties = properties;
    }
    const items = variants.filter((v) => v.items !== undefined).map((v) => v.items);
    if (items.length > 0) out.items = items.length === 1 ? items[0] : { anyOf: items };
    if (variants.every((v) => Array.isArray(v.enum))) {
      const values: unknown[] = [];
      for (const v of variants) for (const e of v.enum as unknown[]) if (!values.includes(e)) values.push(e);
      out.enum = values;
    }
    const formats = new Set(variants.map((v) => v.format));
    if (formats.size === 1 && typeof variants[0]!.format === "string") out.format = variants[0]!.format;
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Conversion of one flattened node.

  private convert(flat: Oas, level: number, path: string, withDescription: boolean): JsonObject {
    const types = inferTypes(flat).filter((t) => t !== "null");
    if (types.length > 0) types.push("null");
    const out: JsonObject = {};
    const known = Array.isArray(flat.enum) ? knownValues(flat.enum as unknown[]) : undefined;
    const description = withDescription ? this.shortDescription(flat.description) : undefined;
    const text = [description, known].filter((part): part is string => part !== undefined).join(" ");
    if (text !== "") out.description = text;
    if (types.length > 0) out.type = types.length === 1 ? types[0]! : types;
    if (typeof flat.format === "string" && KEPT_FORMATS.has(flat.format) && types.includes("string")) out.format = flat.format;
    if (types.includes("array")) out.items = this.convertItems(flat.items, level, `${path}[]`);
    if (types.includes("object")) {
      const raw = isObj(flat.properties) ? flat.properties : {};
      if (level <= this.options.maxObjectDepth && Object.keys(raw).length > 0) {
        const properties: JsonObject = {};
        for (const [name, value] of Object.entries(raw)) {
          properties[name] = this.convert(this.flatten(value, []), level + 1, `${path}.${name}`, false);
        }
        out.properties = properties;
      }
      out.additionalProperties = true;
    }
    return out;
  }

  private convertItems(items: unknown, level: number, path: string): JsonObject {
    const flat = this.flatten(items, []);
    const schema = this.convert(flat, level, path, false);
    let types = schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (types.includes("null") && types.length > 1) {
      // An array element may not be typed ["x", "null"] (CAT test_array_type): keep the single type.
      types = types.filter((t) => t !== "null");
      schema.type = types.length === 1 ? types[0]! : types;
    }
    if (types.length !== 1 || !ITEM_TYPES.has(types[0]!)) {
      throw new SchemaConversionError(
        `${path}: array items must have one type among ${[...ITEM_TYPES].join("/")}, got ${JSON.stringify(schema.type ?? "(none)")}`,
      );
    }
    return schema;
  }

  /**
   * First paragraph of an OAS description, without HTML, the "Full object requires scope" banner,
   * markdown link targets (`[Opt In](/docs/...)` -> `Opt In`), backslash escapes or line breaks; longer than `maxDescription` it is cut after the last full sentence that fits
   * (or at a word boundary, with an ellipsis).
   */
  shortDescription(text: unknown): string | undefined {
    if (typeof text !== "string") return undefined;
    const cleaned = text
      .replace(/<[^>]*>/g, " ")
      .replace(/Full object requires scope:\s*\S+/g, " ")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/\\([\\`*_{}[\]()#+\-.!:])/g, "$1")
      .split(/\n\s*\n/)
      .map((p) => p.replace(/\s+/g, " ").trim())
      .filter((p) => p.length > 0);
    const first = cleaned[0];
    if (first === undefined) return undefined;
    const max = this.options.maxDescription;
    if (first.length <= max) return first;
    const head = first.slice(0, max);
    const sentenceEnd = head.lastIndexOf(". ");
    if (sentenceEnd >= 40) return head.slice(0, sentenceEnd + 1);
    const space = head.lastIndexOf(" ");
    return `${head.slice(0, space > 0 ? space : max).replace(/[\s,;:]+$/, "")}...`;
  }
}

/** allOf merge step: properties are unioned (later definition of a property wins), other keys: later wins. */
function mergeLaterWins(base: Oas, next: Oas): Oas {
  const out: Oas = { ...base };
  for (const [key, value] of Object.entries(next)) {
    if (key === "properties" && isObj(value) && isObj(out.properties)) out.properties = { ...out.properties, ...value };
    else if (key === "required" && Array.isArray(value) && Array.isArray(out.required)) {
      out.required = [...new Set([...(out.required as unknown[]), ...value])];
    } else out[key] = value;
  }
  return out;
}

/** "Known values: a, b, c." for an enumeration (null left out: every property is nullable anyway). */
function knownValues(values: unknown[]): string | undefined {
  const listed = values.filter((v, i, all) => v !== null && all.indexOf(v) === i).map((v) => String(v));
  return listed.length === 0 ? undefined : `Known values: ${listed.join(", ")}.`;
}

/** The JSON types a flattened node admits; [] when undeterminable (no constraint). */
function inferTypes(flat: Oas): string[] {
  if (typeof flat.type === "string") return [flat.type];
  if (Array.isArray(flat.type)) return flat.type.filter((t): t is string => typeof t === "string");
  if (isObj(flat.properties)) return ["object"];
  if (flat.items !== undefined) return ["array"];
  if (Array.isArray(flat.enum)) {
    const types: string[] = [];
    for (const v of flat.enum) {
      const t = v === null ? "null" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v;
      if (!types.includes(t)) types.push(t);
    }
    return types;
  }
  return [];
}
