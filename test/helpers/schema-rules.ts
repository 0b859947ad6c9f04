/**
 * The JSON-walk rules of Airbyte's Connector Acceptance Tests (CAT, `test_core.py`), ported for
 * the spec and the stream schemas, plus the backward-compatibility diff against committed
 * snapshots (PROTOCOL-NOTES §3.3, §3.4). Each rule returns a list of problems (empty = pass), so
 * a failing test names every offending path at once.
 */
import { Ajv } from "ajv";

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export type JsonPath = Array<string | number>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function showPath(path: JsonPath): string {
  return path.length ? path.join("/") : "(root)";
}

/** Keywords whose object value maps names (property names, definition names) to subschemas. */
const NAME_MAPS = new Set(["properties", "patternProperties", "definitions", "$defs", "dependencies"]);

/**
 * Visits every schema node (objects reachable through keywords, never through a property name),
 * with its path. A property named `not` or `allOf` is a name, not a keyword.
 */
export function visitSchemas(schema: Json, visit: (node: JsonObject, path: JsonPath) => void, path: JsonPath = []): void {
  if (Array.isArray(schema)) {
    schema.forEach((item, i) => visitSchemas(item, visit, [...path, i]));
    return;
  }
  if (!isObject(schema)) return;
  visit(schema, path);
  for (const [key, value] of Object.entries(schema)) {
    if (key === "enum" || key === "const" || key === "default" || key === "examples") continue;
    if (NAME_MAPS.has(key) && isObject(value)) {
      for (const [name, sub] of Object.entries(value)) visitSchemas(sub, visit, [...path, key, name]);
    } else if (isObject(value) || Array.isArray(value)) {
      visitSchemas(value, visit, [...path, key]);
    }
  }
}

/** Every path where one of `keywords` is used as a keyword (property names excluded). */
export function keywordUses(schema: Json, keywords: string[]): string[] {
  const found: string[] = [];
  visitSchemas(schema, (node, path) => {
    for (const keyword of keywords) if (keyword in node) found.push(`${showPath([...path, keyword])}`);
  });
  return found;
}

export function typesOf(node: JsonObject): string[] | undefined {
  const type = node.type;
  if (typeof type === "string") return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === "string");
  return undefined;
}

/** Problems of `schema` against the draft-07 meta-schema (CAT: "valid JSON schema"). */
export function metaSchemaProblems(schema: Json): string[] {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  const valid = ajv.validateSchema(schema as object);
  if (valid) return [];
  return (ajv.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`);
}

/** test_additional_properties_is_true: wherever `additionalProperties` is set, it is `true`. */
export function additionalPropertiesProblems(schema: Json): string[] {
  const found: string[] = [];
  visitSchemas(schema, (node, path) => {
    if ("additionalProperties" in node && node.additionalProperties !== true) {
      found.push(`${showPath([...path, "additionalProperties"])} is ${JSON.stringify(node.additionalProperties)}`);
    }
  });
  return found;
}

/** test_enum_usage: no enum repeats a value. */
export function duplicateEnumProblems(schema: Json): string[] {
  const found: string[] = [];
  visitSchemas(schema, (node, path) => {
    if (!Array.isArray(node.enum)) return;
    const seen = node.enum.map((v) => JSON.stringify(v));
    if (new Set(seen).size !== seen.length) found.push(`${showPath([...path, "enum"])} has duplicate values`);
  });
  return found;
}

/**
 * test_oneof_usage: the parent of every oneOf/anyOf is `type: object`; every variant has
 * `properties`; the variants share at least one property, and exactly one shared property has a
 * `const` in every variant, whose `default`/`enum` (if any) equal that const. Stricter than CAT:
 * the const values are distinct (otherwise the variants cannot be told apart).
 */
export function oneOfProblems(schema: Json): string[] {
  const found: string[] = [];
  visitSchemas(schema, (node, path) => {
    for (const keyword of ["oneOf", "anyOf"]) {
      const variants = node[keyword];
      if (!Array.isArray(variants)) continue;
      const where = showPath([...path, keyword]);
      if (node.type !== "object") found.push(`${where}: the parent must have type: object`);
      const props = variants.map((v) => (isObject(v) && isObject(v.properties) ? v.properties : undefined));
      if (props.some((p) => p === undefined) || props.length === 0) {
        found.push(`${where}: every variant must be an object with properties`);
        continue;
      }
      const maps = props as JsonObject[];
      const common = Object.keys(maps[0]!).filter((name) => maps.every((p) => name in p));
      if (common.length === 0) {
        found.push(`${where}: the variants share no property`);
        continue;
      }
      const discriminators = common.filter((name) => maps.every((p) => isObject(p[name]) && "const" in (p[name] as JsonObject)));
      if (discriminators.length !== 1) {
        found.push(`${where}: exactly one common property must have a const in every variant (found ${discriminators.length})`);
        continue;
      }
      const name = discriminators[0]!;
      const consts = maps.map((p) => (p[name] as JsonObject).const);
      maps.forEach((p, i) => {
        const prop = p[name] as JsonObject;
        if ("default" in prop && JSON.stringify(prop.default) !== JSON.stringify(prop.const)) {
          found.push(`${where}/${i}/properties/${name}: default differs from const`);
        }
        if ("enum" in prop) {
          const e = prop.enum;
          if (!Array.isArray(e) || e.length !== 1 || JSON.stringify(e[0]) !== JSON.stringify(prop.const)) {
            found.push(`${where}/${i}/properties/${name}: enum must be [const]`);
          }
        }
      });
      const distinct = new Set(consts.map((c) => JSON.stringify(c)));
      if (distinct.size !== consts.length) found.push(`${where}: the const values of ${name} repeat`);
    }
  });
  return found;
}

/** CAT's list of property names that hold secrets (test_secret_is_properly_marked). */
export const CAT_SECRET_NAMES = [
  "client_token", "access_token", "api_token", "token", "secret", "client_secret", "password", "key",
  "service_account_info", "service_account", "tenant_id", "certificate", "jwt", "credentials", "app_id",
  "appid", "refresh_token",
];

/**
 * Stricter than CAT, which compares whole names only: a name whose last `_` part is one of
 * token/secret/password/key (personal_access_token, api_key, ...) also holds a secret.
 */
const SECRET_SUFFIXES = ["token", "secret", "password", "key"];

export function isSecretName(name: string): boolean {
  const lower = name.toLowerCase();
  if (CAT_SECRET_NAMES.includes(lower)) return true;
  const last = lower.split("_").at(-1) ?? "";
  return lower.includes("_") && SECRET_SUFFIXES.includes(last);
}

/** A string, integer or number without a const can hold a secret; objects, arrays, booleans cannot. */
function canHoldSecret(prop: JsonObject): boolean {
  const types = typesOf(prop) ?? [];
  return types.some((t) => t === "string" || t === "integer" || t === "number") && !prop.const;
}

/** test_secret_is_properly_marked: secret-named fields carry airbyte_secret, and nothing else that cannot hold one does. */
export function secretProblems(connectionSpecification: Json): string[] {
  const found: string[] = [];
  visitSchemas(connectionSpecification, (node, path) => {
    const name = path.at(-1);
    if (path.at(-2) !== "properties" || typeof name !== "string") return;
    if (!isSecretName(name)) return;
    if (canHoldSecret(node)) {
      if (node.airbyte_secret !== true) found.push(`${showPath(path)} holds a secret but is not marked airbyte_secret: true`);
    } else if (node.airbyte_secret === true) {
      found.push(`${showPath(path)} cannot hold a secret but is marked airbyte_secret`);
    }
  });
  return found;
}

/** test_property_type_is_not_array: a type list under properties has 1 or 2 entries, the second "null". */
export function typeListProblems(schema: Json): string[] {
  const found: string[] = [];
  visitSchemas(schema, (node, path) => {
    if (path.at(-2) !== "properties" || !Array.isArray(node.type)) return;
    const t = node.type;
    if (t.length !== 1 && t.length !== 2) found.push(`${showPath(path)}/type has ${t.length} entries`);
    else if (t.length === 2 && t[1] !== "null") found.push(`${showPath(path)}/type must be [<type>, "null"], not ${JSON.stringify(t)}`);
  });
  return found;
}

/** test_object_not_empty: every nested `type: object` has properties or a oneOf. */
export function emptyObjectProblems(schema: Json): string[] {
  const found: string[] = [];
  visitSchemas(schema, (node, path) => {
    if (path.length === 0 || !typesOf(node)?.includes("object")) return;
    const hasProps = isObject(node.properties) && Object.keys(node.properties).length > 0;
    const hasOneOf = Array.isArray(node.oneOf) && node.oneOf.length > 0;
    if (!hasProps && !hasOneOf) found.push(`${showPath(path)} is an object without properties or oneOf`);
  });
  return found;
}

/** test_array_type: `items` is one schema of type object/string/number/integer, or an enum. */
export function arrayTypeProblems(schema: Json): string[] {
  const found: string[] = [];
  visitSchemas(schema, (node, path) => {
    if (!typesOf(node)?.includes("array")) return;
    const items = node.items;
    if (!isObject(items)) {
      found.push(`${showPath(path)}: an array needs a single items schema`);
      return;
    }
    const ok = (typesOf(items) ?? []).some((t) => ["object", "string", "number", "integer"].includes(t)) || Array.isArray(items.enum);
    if (!ok) found.push(`${showPath(path)}/items must be object, string, number or integer typed, or an enum`);
  });
  return found;
}

/** test_forbidden_complex_types, plus test_defined_refs_exist_in_json_spec_file ($ref). */
export const SPEC_FORBIDDEN_KEYWORDS = [
  "not", "anyOf", "patternProperties", "prefixItems", "allOf", "if", "then", "else", "dependentSchemas", "dependentRequired", "$ref",
];

/** test_duplicate_order: within one properties map and one group, no two fields share an `order`. */
export function duplicateOrderProblems(schema: Json): string[] {
  const found: string[] = [];
  visitSchemas(schema, (node, path) => {
    if (!isObject(node.properties)) return;
    const seen = new Map<string, string>();
    for (const [name, prop] of Object.entries(node.properties)) {
      if (!isObject(prop) || prop.order === undefined) continue;
      const key = `${String(prop.group ?? "")}#${JSON.stringify(prop.order)}`;
      const other = seen.get(key);
      if (other) found.push(`${showPath([...path, "properties"])}: ${other} and ${name} share order ${JSON.stringify(prop.order)}`);
      seen.set(key, name);
    }
  });
  return found;
}

/** test_nested_group: `group` only on top-level properties. */
export function nestedGroupProblems(connectionSpecification: Json): string[] {
  const found: string[] = [];
  visitSchemas(connectionSpecification, (node, path) => {
    if (path.length > 2 && "group" in node && path.at(-2) === "properties") found.push(`${showPath(path)} has a nested group`);
  });
  return found;
}

/** test_display_type: display_type only next to a oneOf, and only dropdown or radio. */
export function displayTypeProblems(schema: Json): string[] {
  const found: string[] = [];
  visitSchemas(schema, (node, path) => {
    if (!("display_type" in node)) return;
    if (!Array.isArray(node.oneOf)) found.push(`${showPath(path)} has display_type without oneOf`);
    if (node.display_type !== "dropdown" && node.display_type !== "radio") found.push(`${showPath(path)}/display_type must be dropdown or radio`);
  });
  return found;
}

/** The schema node at a config path (["credentials", "refresh_token"]), looking through oneOf variants. */
export function nodesAtConfigPath(schema: Json, configPath: string[]): JsonObject[] {
  let current: JsonObject[] = isObject(schema) ? [schema] : [];
  for (const part of configPath) {
    const next: JsonObject[] = [];
    for (const node of current) {
      const candidates = [node, ...(Array.isArray(node.oneOf) ? node.oneOf.filter(isObject) : [])];
      for (const c of candidates) {
        if (isObject(c.properties) && isObject(c.properties[part])) next.push(c.properties[part] as JsonObject);
      }
    }
    current = next;
  }
  return current;
}

/**
 * test_oauth_flow_parameters / test_oauth_is_default_method: `predicate_key` and every
 * `path_in_connector_config` of `advanced_auth` exist in the spec, and the first credentials
 * option is the OAuth one.
 */
export function oauthProblems(spec: JsonObject): string[] {
  const found: string[] = [];
  const auth = spec.advanced_auth;
  const connection = spec.connectionSpecification ?? {};
  if (!isObject(auth)) return found;
  const predicateKey = auth.predicate_key;
  if (Array.isArray(predicateKey)) {
    const keys = predicateKey.map(String);
    if (nodesAtConfigPath(connection, keys).length === 0) found.push(`advanced_auth.predicate_key ${keys.join(".")} is not in the spec`);
    const parent = nodesAtConfigPath(connection, keys.slice(0, -1))[0];
    const first = parent && Array.isArray(parent.oneOf) ? parent.oneOf[0] : undefined;
    const discriminator = isObject(first) && isObject(first.properties) ? first.properties[keys.at(-1)!] : undefined;
    if (isObject(discriminator) && discriminator.const !== auth.predicate_value) {
      found.push(`the first ${keys.slice(0, -1).join(".")} option is not the OAuth one (${JSON.stringify(auth.predicate_value)})`);
    }
  }
  const oauth = auth.oauth_config_specification;
  if (isObject(oauth)) {
    for (const section of Object.keys(oauth)) {
      const value = oauth[section];
      if (!isObject(value) || !isObject(value.properties)) continue;
      for (const [name, prop] of Object.entries(value.properties)) {
        const path = isObject(prop) ? prop.path_in_connector_config : undefined;
        if (!Array.isArray(path)) continue;
        const keys = path.map(String);
        if (nodesAtConfigPath(connection, keys).length === 0) {
          found.push(`advanced_auth.oauth_config_specification.${section}.${name}: path_in_connector_config ${keys.join(".")} is not in the spec`);
        }
      }
    }
  }
  return found;
}

// --- backward compatibility -------------------------------------------------------------------

/**
 * Every field of a schema by path (properties, oneOf variants by index, array items as `[]`),
 * with its declared types (undefined = any), enum and the required names of its object.
 */
export interface FieldFacts {
  types: string[] | undefined;
  enum: string[] | undefined;
  required: string[];
}

export function fieldFacts(schema: Json, prefix = ""): Map<string, FieldFacts> {
  const out = new Map<string, FieldFacts>();
  const visit = (node: Json, path: string): void => {
    if (!isObject(node)) return;
    out.set(path, {
      types: typesOf(node),
      enum: Array.isArray(node.enum) ? node.enum.map((v) => JSON.stringify(v)) : undefined,
      required: Array.isArray(node.required) ? node.required.map(String) : [],
    });
    if (isObject(node.properties)) {
      for (const [name, sub] of Object.entries(node.properties)) visit(sub, path ? `${path}.${name}` : name);
    }
    if (isObject(node.items)) visit(node.items, `${path}[]`);
    for (const keyword of ["oneOf", "anyOf"]) {
      const variants = node[keyword];
      if (Array.isArray(variants)) variants.forEach((v, i) => visit(v, `${path}<${keyword}:${i}>`));
    }
  };
  visit(schema, prefix);
  return out;
}

/**
 * Breaking changes from `before` to `after` (CAT's SpecDiffChecker / CatalogDiffChecker, reduced):
 * a field removed, a type narrowed (a type that was allowed is no longer), an enum value removed,
 * and, when `checkRequired`, a field that became required.
 */
export function breakingChanges(before: Json, after: Json, checkRequired: boolean, prefix = ""): string[] {
  const found: string[] = [];
  const old = fieldFacts(before, prefix);
  const now = fieldFacts(after, prefix);
  const label = (path: string): string => path || "(root)";
  for (const [path, was] of old) {
    const is = now.get(path);
    if (!is) {
      found.push(`${label(path)} was removed`);
      continue;
    }
    if (was.types !== undefined) {
      const lost = is.types === undefined ? [] : was.types.filter((t) => !is.types!.includes(t) && !(t === "integer" && is.types!.includes("number")));
      if (lost.length) found.push(`${label(path)}: type narrowed from ${JSON.stringify(was.types)} to ${JSON.stringify(is.types)}`);
    }
    if (was.enum && is.enum) {
      const lost = was.enum.filter((v) => !is.enum!.includes(v));
      if (lost.length) found.push(`${label(path)}: enum values removed: ${lost.join(", ")}`);
    } else if (!was.enum && is.enum) {
      found.push(`${label(path)}: an enum was added`);
    }
    if (checkRequired) {
      const added = is.required.filter((r) => !was.required.includes(r));
      if (added.length) found.push(`${label(path)}: new required field(s) ${added.join(", ")}`);
    }
  }
  if (checkRequired) {
    // A new object that is itself required, with required fields, breaks old configs as well.
    for (const [path, is] of now) {
      if (!old.has(path) && is.required.length && path !== "") {
        const parent = path.includes(".") ? path.slice(0, path.lastIndexOf(".")) : "";
        const name = path.slice(path.lastIndexOf(".") + 1);
        if (old.has(parent) && now.get(parent)?.required.includes(name)) found.push(`${label(path)}: new required object`);
      }
    }
  }
  return found;
}
