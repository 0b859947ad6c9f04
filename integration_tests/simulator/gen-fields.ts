/**
 * Dev-time tool: derives integration_tests/simulator/fields.ts from Asana's OpenAPI spec.
 *
 *   npx tsc -p tsconfig.json && node dist/integration_tests/simulator/gen-fields.js \
 *     [--oas ../shared/asana/asana_oas.yaml] [--out integration_tests/simulator/fields.ts] [--check]
 *
 * For each stream it takes the components.schemas `<X>Response` schema, resolves `$ref` and merges
 * `allOf` parts left to right (later definition of a property wins, keys written next to `allOf`
 * apply last: the same rules as scripts/oas-convert.ts, which generates schemas/<stream>.json), and
 * writes one `FieldSpec` per top-level property (type, nullable, enum, format, the component an
 * object or array item refers to). It also writes the compact field list of each stream (the
 * `<X>Compact` schema; webhooks list the full WebhookResponse) and, for every referenced
 * component, which of gid/resource_type/name its compact form has (used for nested references).
 *
 * The simulator itself never reads the spec: it only imports the generated fields.ts.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";

type Oas = Record<string, unknown>;
const isObj = (v: unknown): v is Oas => typeof v === "object" && v !== null && !Array.isArray(v);

/** Stream name -> [full component, compact component]. */
const STREAM_COMPONENTS: ReadonlyArray<readonly [string, string, string]> = [
  ["workspaces", "WorkspaceResponse", "WorkspaceCompact"],
  ["users", "UserResponse", "UserCompact"],
  ["teams", "TeamResponse", "TeamCompact"],
  ["team_memberships", "TeamMembershipResponse", "TeamMembershipCompact"],
  ["workspace_memberships", "WorkspaceMembershipResponse", "WorkspaceMembershipCompact"],
  ["projects", "ProjectResponse", "ProjectCompact"],
  ["sections", "SectionResponse", "SectionCompact"],
  ["tasks", "TaskResponse", "TaskCompact"],
  ["subtasks", "TaskResponse", "TaskCompact"],
  ["tags", "TagResponse", "TagCompact"],
  ["stories", "StoryResponse", "StoryCompact"],
  ["attachments", "AttachmentResponse", "AttachmentCompact"],
  ["project_templates", "ProjectTemplateResponse", "ProjectTemplateCompact"],
  ["status_updates", "StatusUpdateResponse", "StatusUpdateCompact"],
  // GET /webhooks returns the full WebhookResponse, not WebhookCompact (API-NOTES §1).
  ["webhooks", "WebhookResponse", "WebhookResponse"],
];

interface Flat {
  node: Oas;
  /** The first component this node was resolved from, if any. */
  ref?: string;
}

class Resolver {
  constructor(private readonly components: Oas) {}

  component(name: string): Oas {
    const c = this.components[name];
    if (!isObj(c)) throw new Error(`components.schemas.${name} does not exist`);
    return c;
  }

  flatten(node: unknown, chain: string[] = []): Flat {
    if (!isObj(node)) return { node: {} };
    if (typeof node.$ref === "string") {
      const name = node.$ref.replace("#/components/schemas/", "");
      if (chain.includes(name)) return { node: {}, ref: name };
      const inner = this.flatten(this.component(name), [...chain, name]);
      return { node: inner.node, ref: name };
    }
    const { allOf, ...own } = node;
    let result: Oas = {};
    let ref: string | undefined;
    if (Array.isArray(allOf)) {
      for (const part of allOf) {
        const flat = this.flatten(part, chain);
        ref ??= flat.ref;
        result = merge(result, flat.node);
      }
    }
    return ref === undefined ? { node: merge(result, own) } : { node: merge(result, own), ref };
  }

  propertyNames(component: string): string[] {
    const flat = this.flatten({ $ref: `#/components/schemas/${component}` });
    return isObj(flat.node.properties) ? Object.keys(flat.node.properties) : [];
  }
}

function merge(base: Oas, next: Oas): Oas {
  const out: Oas = { ...base };
  for (const [key, value] of Object.entries(next)) {
    if (key === "properties" && isObj(value) && isObj(out.properties)) out.properties = { ...out.properties, ...value };
    else out[key] = value;
  }
  return out;
}

function inferType(node: Oas): string {
  if (typeof node.type === "string") return node.type;
  if (isObj(node.properties)) return "object";
  if (node.items !== undefined) return "array";
  return "any";
}

/** One FieldSpec as TypeScript source text; collects referenced component names. */
function fieldSpecSource(resolver: Resolver, raw: unknown, refs: Set<string>, depth = 0): string {
  const { node, ref } = resolver.flatten(raw);
  const parts: string[] = [`type: ${JSON.stringify(inferType(node))}`];
  if (node.nullable === true) parts.push("nullable: true");
  if (typeof node.format === "string") parts.push(`format: ${JSON.stringify(node.format)}`);
  if (Array.isArray(node.enum)) parts.push(`enum: ${JSON.stringify(node.enum)}`);
  if (ref !== undefined && inferType(node) === "object") {
    parts.push(`ref: ${JSON.stringify(ref)}`);
    refs.add(ref);
  }
  if (inferType(node) === "array" && depth < 2) parts.push(`items: ${fieldSpecSource(resolver, node.items, refs, depth + 1)}`);
  return `{ ${parts.join(", ")} }`;
}

export function generateFieldsSource(oasText: string): string {
  const doc: unknown = parseYaml(oasText);
  const schemas = isObj(doc) && isObj(doc.components) ? doc.components.schemas : undefined;
  if (!isObj(schemas)) throw new Error("the OpenAPI document has no components.schemas");
  const resolver = new Resolver(schemas);
  const refs = new Set<string>();
  const out: string[] = [];
  out.push(
    "// GENERATED by integration_tests/simulator/gen-fields.ts from Asana's OpenAPI spec",
    "// (shared/asana/asana_oas.yaml): the top-level properties of each stream's `<X>Response` schema",
    "// after resolving $ref and merging allOf, the `<X>Compact` field lists, and the compact form of",
    "// every referenced component. Do not edit by hand; regenerate with:",
    "//   npx tsc -p tsconfig.json && node dist/integration_tests/simulator/gen-fields.js",
    "",
    'export type FieldType = "string" | "integer" | "number" | "boolean" | "object" | "array" | "any";',
    "",
    "export interface FieldSpec {",
    "  readonly type: FieldType;",
    "  readonly nullable?: true;",
    "  readonly format?: string;",
    "  readonly enum?: readonly (string | number | boolean | null)[];",
    "  /** The component an object field refers to (e.g. UserCompact). */",
    "  readonly ref?: string;",
    "  readonly items?: FieldSpec;",
    "}",
    "",
    "export const STREAM_NAMES = [",
    ...STREAM_COMPONENTS.map(([stream]) => `  ${JSON.stringify(stream)},`),
    "] as const;",
    "export type StreamName = (typeof STREAM_NAMES)[number];",
    "",
    "/** The OAS component whose properties are each stream's full record. */",
    "export const RESPONSE_COMPONENT: Readonly<Record<StreamName, string>> = {",
    ...STREAM_COMPONENTS.map(([stream, full]) => `  ${stream}: ${JSON.stringify(full)},`),
    "};",
    "",
  );
  // One constant per response component (tasks and subtasks share TaskResponse), then the map.
  for (const full of [...new Set(STREAM_COMPONENTS.map(([, component]) => component))]) {
    const flat = resolver.flatten({ $ref: `#/components/schemas/${full}` });
    const props = isObj(flat.node.properties) ? flat.node.properties : {};
    out.push(`const ${full}: Readonly<Record<string, FieldSpec>> = {`);
    for (const [name, value] of Object.entries(props)) out.push(`  ${name}: ${fieldSpecSource(resolver, value, refs)},`);
    out.push("};", "");
  }
  out.push(
    "/** Full record fields per stream, in spec order. */",
    "export const RECORD_FIELDS: Readonly<Record<StreamName, Readonly<Record<string, FieldSpec>>>> = {",
    ...STREAM_COMPONENTS.map(([stream, full]) => `  ${stream}: ${full},`),
  );
  out.push("};", "", "/** Fields of the compact record each list endpoint returns without opt_fields. */");
  out.push("export const COMPACT_FIELDS: Readonly<Record<StreamName, readonly string[]>> = {");
  for (const [stream, , compact] of STREAM_COMPONENTS) {
    out.push(`  ${stream}: ${JSON.stringify(resolver.propertyNames(compact))},`);
  }
  out.push("};", "", "/** For each referenced component, which of gid/resource_type/name a nested reference carries. */");
  out.push("export const REFERENCE_FIELDS: Readonly<Record<string, readonly string[]>> = {");
  for (const ref of [...refs].sort()) {
    const names = resolver.propertyNames(ref).filter((n) => n === "gid" || n === "resource_type" || n === "name");
    out.push(`  ${ref}: ${JSON.stringify(names)},`);
  }
  out.push("};", "");
  return out.join("\n");
}

function main(): void {
  const { values } = parseArgs({
    options: {
      oas: { type: "string", default: "../shared/asana/asana_oas.yaml" },
      out: { type: "string", default: "integration_tests/simulator/fields.ts" },
      check: { type: "boolean", default: false },
    },
  });
  const source = generateFieldsSource(readFileSync(resolve(values.oas), "utf8"));
  const outPath = resolve(values.out);
  if (values.check) {
    const current = readFileSync(outPath, "utf8");
    if (current !== source) {
      console.error(`${values.out} is stale: regenerate it`);
      process.exitCode = 1;
    } else console.log(`${values.out} is up to date`);
    return;
  }
  writeFileSync(outPath, source);
  console.log(`wrote ${values.out}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
