/**
 * Generates schemas/<stream>.json (draft-07, one per stream) and test/generated/<stream>.ts (record
 * types, via json-schema-to-typescript; only tests use them, so they stay out of src/ and dist/)
 * from Asana's OpenAPI spec, and writes each stream's `opt_fields` (every leaf of its schema as a
 * dotted path, scripts/opt-fields.ts) into the `property_list` of manifest.yaml, and every schema
 * into manifest.yaml's top-level `schemas` (the streams' InlineSchemaLoaders reference them).
 *
 *   npm run gen:schemas                      # build, then write the files
 *   node dist/scripts/gen-schemas.js [--oas PATH] [--check] [--out-schemas DIR] [--out-types DIR]
 *
 * --oas PATH         the spec (default: <project root>/../shared/asana/asana_oas.yaml)
 * --check            regenerate in memory; exit 1 and list the files that would change, else exit 0
 * --out-schemas DIR  where the JSON schemas go (default: <project root>/schemas)
 * --out-types DIR    where the TypeScript types go (default: <project root>/test/generated)
 * --out-manifest DIR where manifest.yaml goes (default: <project root>; it is always read from there)
 *
 * The project root is found from this file's location (the nearest directory above it holding
 * package.json and tsconfig.json), so it works from scripts/ (vitest) and dist/scripts/ (node).
 * The conversion rules (allOf/oneOf/anyOf merging, cycles, nullability, ...) are documented in
 * scripts/oas-convert.ts. Output is deterministic: the same spec gives the same bytes.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { compile } from "json-schema-to-typescript";
import { parse as parseYaml } from "yaml";
import { TYPESCRIPT_OPTIONS, displayPath, findProjectRoot, parseGeneratorArgs, runWhenExecuted } from "./generator-cli.js";
import { type JsonObject, OasConverter } from "./oas-convert.js";
import { optFieldPaths, rewriteManifest, rewritePropertySelectors, rewriteSchemas } from "./opt-fields.js";

export interface StreamDefinition {
  /** Stream name, also the file name (schemas/<stream>.json, test/generated/<stream>.ts). */
  stream: string;
  /** The OAS component the records follow. */
  component: string;
  /** The exported TypeScript record type. */
  typeName: string;
  /** Properties the connector adds to the API's records (not in the spec). */
  extraProperties?: Record<string, JsonObject>;
}

/** Airbyte's deletion marker: tombstones of records deleted since the last sync carry it. */
const DELETED_AT: Record<string, JsonObject> = {
  _ab_cdc_deleted_at: {
    description: "Set on a tombstone: the record was deleted in Asana at this time (incremental syncs).",
    type: ["string", "null"],
    format: "date-time",
  },
};

/** The portfolio an item was listed in (a project can sit in several): part of the primary key. */
const PORTFOLIO_GID: Record<string, JsonObject> = {
  portfolio_gid: {
    description: "The gid of the portfolio this item was listed in (added by the connector from the partition).",
    type: "string",
  },
};

export const STREAMS: readonly StreamDefinition[] = [
  { stream: "workspaces", component: "WorkspaceResponse", typeName: "WorkspaceRecord" },
  { stream: "users", component: "UserResponse", typeName: "UserRecord" },
  { stream: "teams", component: "TeamResponse", typeName: "TeamRecord" },
  { stream: "team_memberships", component: "TeamMembershipResponse", typeName: "TeamMembershipRecord" },
  { stream: "workspace_memberships", component: "WorkspaceMembershipResponse", typeName: "WorkspaceMembershipRecord" },
  { stream: "projects", component: "ProjectResponse", typeName: "ProjectRecord" },
  { stream: "sections", component: "SectionResponse", typeName: "SectionRecord" },
  { stream: "tasks", component: "TaskResponse", typeName: "TaskRecord", extraProperties: DELETED_AT },
  { stream: "subtasks", component: "TaskResponse", typeName: "SubtaskRecord" },
  { stream: "tags", component: "TagResponse", typeName: "TagRecord" },
  { stream: "stories", component: "StoryResponse", typeName: "StoryRecord", extraProperties: DELETED_AT },
  { stream: "attachments", component: "AttachmentResponse", typeName: "AttachmentRecord" },
  { stream: "project_templates", component: "ProjectTemplateResponse", typeName: "ProjectTemplateRecord" },
  { stream: "status_updates", component: "StatusUpdateResponse", typeName: "StatusUpdateRecord" },
  { stream: "webhooks", component: "WebhookResponse", typeName: "WebhookRecord" },
  { stream: "custom_fields", component: "CustomFieldResponse", typeName: "CustomFieldRecord" },
  { stream: "custom_field_settings", component: "CustomFieldSettingResponse", typeName: "CustomFieldSettingRecord" },
  { stream: "task_templates", component: "TaskTemplateResponse", typeName: "TaskTemplateRecord" },
  { stream: "portfolios", component: "PortfolioResponse", typeName: "PortfolioRecord" },
  // A portfolio's items are projects (or portfolios), listed as ProjectCompact: the full record is ProjectResponse.
  { stream: "portfolio_items", component: "ProjectResponse", typeName: "PortfolioItemRecord", extraProperties: PORTFOLIO_GID },
  { stream: "goals", component: "GoalResponse", typeName: "GoalRecord" },
  { stream: "goal_relationships", component: "GoalRelationshipResponse", typeName: "GoalRelationshipRecord" },
  { stream: "time_periods", component: "TimePeriodResponse", typeName: "TimePeriodRecord" },
  { stream: "audit_log_events", component: "AuditLogEvent", typeName: "AuditLogEventRecord" },
];

export const GENERATOR_COMMAND = "npm run gen:schemas";
const GENERATOR_SOURCE = "scripts/gen-schemas.ts";
/** Present in every file this script writes; only files carrying it are ever deleted as stale. */
export const GENERATED_MARKER = `Generated by ${GENERATOR_SOURCE}`;

export function defaultOasPath(root: string = findProjectRoot()): string {
  return resolve(root, "..", "shared", "asana", "asana_oas.yaml");
}

export interface GeneratedFile {
  /** Which output directory the file belongs to. */
  dir: "schemas" | "types" | "manifest";
  /** File name inside that directory. */
  name: string;
  content: string;
}

export const MANIFEST_FILE = "manifest.yaml";

/**
 * Generates every output file in memory, in a fixed order. `manifestPath` is the manifest whose
 * `property_list`s are rewritten (default: the project's).
 */
export async function generateFiles(oasPath: string, manifestPath: string = join(findProjectRoot(), MANIFEST_FILE)): Promise<GeneratedFile[]> {
  const document: unknown = parseYaml(readFileSync(oasPath, "utf8"), { maxAliasCount: -1 });
  const converter = new OasConverter(document);
  const files: GeneratedFile[] = [];
  const paths = new Map<string, string[]>();
  const schemas = new Map<string, JsonObject>();
  for (const def of STREAMS) {
    const comment =
      `${GENERATED_MARKER} (${GENERATOR_COMMAND}) from the Asana OpenAPI spec, ` +
      `components.schemas.${def.component}. Do not edit by hand: change the generator and re-run it.`;
    const schema = withOverrides(converter.rootSchema(def.component, comment), def);
    paths.set(def.stream, optFieldPaths(schema, Object.keys(def.extraProperties ?? {})));
    schemas.set(def.stream, schema);
    files.push({ dir: "schemas", name: `${def.stream}.json`, content: `${JSON.stringify(schema, null, 2)}\n` });
    files.push({ dir: "types", name: `${def.stream}.ts`, content: await recordType(def, schema) });
  }
  files.push({ dir: "types", name: "index.ts", content: indexModule() });
  files.push({ dir: "manifest", name: MANIFEST_FILE, content: rewriteSchemas(rewritePropertySelectors(rewriteManifest(readFileSync(manifestPath, "utf8"), paths)), schemas) });
  return files;
}

/** Adds a stream's extra properties (the converter already made every property nullable). */
function withOverrides(schema: JsonObject, def: StreamDefinition): JsonObject {
  const properties = { ...(schema.properties as Record<string, JsonObject>), ...(def.extraProperties ?? {}) };
  return { ...schema, properties };
}

function banner(what: string): string {
  return [
    "/* eslint-disable */",
    "/**",
    ` * ${GENERATED_MARKER} (\`${GENERATOR_COMMAND}\`). Do not edit by hand.`,
    ` * ${what}`,
    " */",
  ].join("\n");
}

async function recordType(def: StreamDefinition, schema: JsonObject): Promise<string> {
  const { $schema: _s, $comment: _c, ...typeSchema } = structuredClone(schema);
  const code = await compile(typeSchema as Parameters<typeof compile>[0], def.typeName, {
    ...TYPESCRIPT_OPTIONS,
    bannerComment: banner(
      `Record type of the ${def.stream} stream, from schemas/${def.stream}.json (Asana ${def.component}).`,
    ),
  });
  return code.endsWith("\n") ? code : `${code}\n`;
}

function indexModule(): string {
  const lines = [banner("Record types of all streams, and a stream name -> record type map."), ""];
  for (const def of STREAMS) lines.push(`import type { ${def.typeName} } from "./${def.stream}.js";`);
  lines.push("");
  for (const def of STREAMS) lines.push(`export type { ${def.typeName} } from "./${def.stream}.js";`);
  lines.push("", "/** The record type of each stream, keyed by stream name. */", "export interface StreamRecords {");
  for (const def of STREAMS) lines.push(`  ${def.stream}: ${def.typeName};`);
  lines.push("}", "", "export type StreamName = keyof StreamRecords;", "");
  return lines.join("\n");
}

export interface OutputDirs {
  schemas: string;
  types: string;
  manifest: string;
}

export interface Difference {
  path: string;
  change: "create" | "update" | "delete";
}

function staleFiles(files: GeneratedFile[], dirs: OutputDirs): string[] {
  const stale: string[] = [];
  for (const [dir, ext] of [["schemas", ".json"], ["types", ".ts"]] as const) {
    const folder = dirs[dir];
    if (!existsSync(folder)) continue;
    const expected = new Set(files.filter((f) => f.dir === dir).map((f) => f.name));
    for (const name of readdirSync(folder).sort()) {
      if (!name.endsWith(ext) || expected.has(name)) continue;
      const path = join(folder, name);
      if (readFileSync(path, "utf8").includes(GENERATED_MARKER)) stale.push(path);
    }
  }
  return stale;
}

/** What writing `files` into `dirs` would change (created, updated, or stale generated files deleted). */
export function differences(files: GeneratedFile[], dirs: OutputDirs): Difference[] {
  const out: Difference[] = [];
  for (const file of files) {
    const path = join(dirs[file.dir], file.name);
    if (!existsSync(path)) out.push({ path, change: "create" });
    else if (readFileSync(path, "utf8") !== file.content) out.push({ path, change: "update" });
  }
  for (const path of staleFiles(files, dirs)) out.push({ path, change: "delete" });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function writeFiles(files: GeneratedFile[], dirs: OutputDirs): Difference[] {
  const changes = differences(files, dirs);
  mkdirSync(dirs.schemas, { recursive: true });
  mkdirSync(dirs.types, { recursive: true });
  mkdirSync(dirs.manifest, { recursive: true });
  for (const change of changes) {
    if (change.change === "delete") unlinkSync(change.path);
  }
  for (const file of files) {
    const path = join(dirs[file.dir], file.name);
    if (changes.some((c) => c.path === path)) writeFileSync(path, file.content);
  }
  return changes;
}

const USAGE = `usage: node dist/scripts/gen-schemas.js [--oas PATH] [--check] [--out-schemas DIR] [--out-types DIR] [--out-manifest DIR]`;

/** CLI entry point; returns the exit code (0 ok, 1 --check found changes, 2 usage or input error). */
export async function main(argv: string[], log: (line: string) => void = console.log): Promise<number> {
  const args = parseGeneratorArgs(
    "gen-schemas",
    argv,
    {
      oas: { type: "string" },
      check: { type: "boolean", default: false },
      "out-schemas": { type: "string" },
      "out-types": { type: "string" },
      "out-manifest": { type: "string" },
    },
    USAGE,
    log,
  );
  if (typeof args === "number") return args;
  const root = findProjectRoot();
  const oasPath = args.oas !== undefined ? resolve(args.oas) : defaultOasPath(root);
  if (!existsSync(oasPath)) {
    console.error(`gen-schemas: OpenAPI spec not found: ${oasPath} (pass --oas PATH)`);
    return 2;
  }
  const dirs: OutputDirs = {
    schemas: resolve(args["out-schemas"] ?? join(root, "schemas")),
    types: resolve(args["out-types"] ?? join(root, "test", "generated")),
    manifest: resolve(args["out-manifest"] ?? root),
  };
  const files = await generateFiles(oasPath);
  const show = (path: string) => displayPath(root, path);
  if (args.check) {
    const changes = differences(files, dirs);
    if (changes.length === 0) {
      log(`gen-schemas: ${files.length} files up to date`);
      return 0;
    }
    log(`gen-schemas: ${changes.length} file(s) out of date (run \`${GENERATOR_COMMAND}\`):`);
    for (const c of changes) log(`  ${c.change} ${show(c.path)}`);
    return 1;
  }
  const changes = writeFiles(files, dirs);
  for (const c of changes) log(`  ${c.change} ${show(c.path)}`);
  log(`gen-schemas: ${files.length} files generated, ${changes.length} changed`);
  return 0;
}

runWhenExecuted(import.meta.url, "gen-schemas", (argv) => main(argv));
