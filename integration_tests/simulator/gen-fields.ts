/**
 * Dev-time tool: derives integration_tests/simulator/fields.ts from Asana's OpenAPI spec.
 *
 *   npx tsc -p tsconfig.json && node dist/integration_tests/simulator/gen-fields.js \
 *     [--oas ../shared/asana/asana_oas.yaml] [--out integration_tests/simulator/fields.ts] [--check]
 *
 * For each stream it takes the components.schemas `<X>Response` schema, resolves `$ref` and merges
 * `allOf` parts left to right (later definition of a property wins, keys written next to `allOf`
 * apply last: the same rules as scripts/oas-convert.ts, which generates schemas/<stream>.json), and
 * writes one `FieldSpec` per property (type, nullable, enum, format, the component an object or
 * array item refers to, and the properties of objects down to the depth of the connector's JSON
 * schemas: `maxObjectDepth: 2` in scripts/oas-convert.ts). It also writes the compact field list
 * of each stream (the `<X>Compact` schema; webhooks list the full WebhookResponse).
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
  // GET /webhooks returns the full WebhookResponse, not WebhookCompact.
  ["webhooks", "WebhookResponse", "WebhookResponse"],
  ["custom_fields", "CustomFieldResponse", "CustomFieldCompact"],
  ["custom_field_settings", "CustomFieldSettingResponse", "CustomFieldSettingCompact"],
  ["task_templates", "TaskTemplateResponse", "TaskTemplateCompact"],
  ["portfolios", "PortfolioResponse", "PortfolioCompact"],
  // GET /portfolios/{gid}/items lists ProjectCompact: an item is a project or a portfolio.
  ["portfolio_items", "ProjectResponse", "ProjectCompact"],
  ["goals", "GoalResponse", "GoalCompact"],
  ["goal_relationships", "GoalRelationshipResponse", "GoalRelationshipCompact"],
  ["time_periods", "TimePeriodResponse", "TimePeriodCompact"],
  // Audit log events have one shape: the list returns the whole AuditLogEvent.
  ["audit_log_events", "AuditLogEvent", "AuditLogEvent"],
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

function pascalCase(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase());
}

function inferType(node: Oas): string {
  if (typeof node.type === "string") return node.type;
  if (isObj(node.properties)) return "object";
  if (node.items !== undefined) return "array";
  return "any";
}

/** Deepest object level that keeps its properties (root = 0), as in scripts/oas-convert.ts. */
const MAX_OBJECT_DEPTH = 2;

/**
 * Writes FieldSpecs as TypeScript source. An object at level 1 or 2 (a top-level property is level
 * 1; array `items` stay at the array's level) keeps its properties; deeper objects are opaque.
 * Property maps are written once each, as named constants (`<Component>_L<level>`), because the
 * same component appears under many fields.
 */
class SpecWriter {
  /** Constant declarations in dependency order. */
  readonly declarations: string[] = [];
  private readonly constants = new Map<string, string>();
  private readonly names = new Set<string>();

  constructor(private readonly resolver: Resolver) {}

  /** The FieldSpec of a (raw) property schema `name` at object level `level`. */
  spec(name: string, raw: unknown, level: number, arrayDepth = 0): string {
    const { node, ref } = this.resolver.flatten(raw);
    const type = inferType(node);
    const parts: string[] = [`type: ${JSON.stringify(type)}`];
    if (node.nullable === true) parts.push("nullable: true");
    if (typeof node.format === "string") parts.push(`format: ${JSON.stringify(node.format)}`);
    if (Array.isArray(node.enum)) parts.push(`enum: ${JSON.stringify(node.enum)}`);
    if (ref !== undefined && type === "object") parts.push(`ref: ${JSON.stringify(ref)}`);
    // Arrays of arrays do not occur in the spec; the bound only guarantees termination.
    if (type === "array" && arrayDepth < 2) parts.push(`items: ${this.spec(name, node.items, level, arrayDepth + 1)}`);
    if (type === "object" && level <= MAX_OBJECT_DEPTH && isObj(node.properties) && Object.keys(node.properties).length > 0) {
      parts.push(`properties: ${this.properties(node.properties, level, ref ?? pascalCase(name))}`);
    }
    return `{ ${parts.join(", ")} }`;
  }

  /**
   * The name of the constant holding the properties of an object at `level` (each property one
   * level deeper), named after its component (or, inline, its field) and level.
   */
  private properties(props: Oas, level: number, base: string): string {
    const lines = Object.entries(props).map(([name, value]) => `  ${name}: ${this.spec(name, value, level + 1)},`);
    const body = lines.join("\n");
    // One constant per component (or inline field name) and body: identical property lists of
    // different components stay apart so each constant's name says what it describes.
    const key = `${base}\n${body}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    let name = `${base}_L${level}`;
    for (let k = 2; this.names.has(name); k++) name = `${base}_L${level}_${k}`;
    this.names.add(name);
    this.constants.set(key, name);
    this.declarations.push(`const ${name}: Readonly<Record<string, FieldSpec>> = {`, body, "};", "");
    return name;
  }

  /** A response component's top-level properties (level 1) as a constant named after it. */
  root(component: string): void {
    const flat = this.resolver.flatten({ $ref: `#/components/schemas/${component}` });
    const props = isObj(flat.node.properties) ? flat.node.properties : {};
    const lines = Object.entries(props).map(([name, value]) => `  ${name}: ${this.spec(name, value, 1)},`);
    this.declarations.push(`const ${component}: Readonly<Record<string, FieldSpec>> = {`, ...lines, "};", "");
  }
}

export function generateFieldsSource(oasText: string): string {
  const doc: unknown = parseYaml(oasText);
  const schemas = isObj(doc) && isObj(doc.components) ? doc.components.schemas : undefined;
  if (!isObj(schemas)) throw new Error("the OpenAPI document has no components.schemas");
  const resolver = new Resolver(schemas);
  const writer = new SpecWriter(resolver);
  const out: string[] = [];
  out.push(
    "// GENERATED by integration_tests/simulator/gen-fields.ts from Asana's OpenAPI spec",
    "// (asana_oas.yaml): the properties of each stream's `<X>Response` schema after",
    "// resolving $ref and merging allOf, nested objects down to level 2 (the root is level 0, a",
    "// top-level property level 1, array items at their array's level; deeper objects are opaque),",
    "// and the `<X>Compact` field lists. Do not edit by hand; regenerate with:",
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
    "  /** An object's properties (objects at level 1 and 2 only; deeper ones are opaque). */",
    "  readonly properties?: Readonly<Record<string, FieldSpec>>;",
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
  // One constant per response component (tasks and subtasks share TaskResponse), preceded by the
  // nested property maps it uses, then the map.
  for (const full of [...new Set(STREAM_COMPONENTS.map(([, component]) => component))]) writer.root(full);
  out.push(...writer.declarations);
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
