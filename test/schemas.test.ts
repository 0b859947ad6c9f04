/**
 * Stream schemas (schemas/*.json) and record types (test/generated/*.ts; only tests use them, so they stay out of src/ and dist/), produced by
 * scripts/gen-schemas.ts from Asana's OpenAPI spec.
 *
 * (a) regeneration changes nothing (skipped when ../shared/asana/asana_oas.yaml is absent);
 * (b) every schema is valid draft-07 and passes the rules of Airbyte's TestDiscovery/TestBasicRead;
 * (c) the generated TypeScript types compile and index.ts exports one record type per stream.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import addFormatsImport from "ajv-formats";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { generateFiles, main } from "../scripts/gen-schemas.js";
import { keywordUses } from "./helpers/schema-rules.js";
import { OasConverter } from "../scripts/oas-convert.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SCHEMAS_DIR = join(ROOT, "schemas");
const TYPES_DIR = join(ROOT, "test", "generated");
const OAS_PATH = resolve(ROOT, "..", "shared", "asana", "asana_oas.yaml");
const OAS_PRESENT = existsSync(OAS_PATH);
if (!OAS_PRESENT) console.warn("../shared/asana/asana_oas.yaml not found: schema regeneration check skipped");

// Written out here rather than imported from the generator, so the test checks it.
const STREAMS: Record<string, { component: string; typeName: string }> = {
  workspaces: { component: "WorkspaceResponse", typeName: "WorkspaceRecord" },
  users: { component: "UserResponse", typeName: "UserRecord" },
  teams: { component: "TeamResponse", typeName: "TeamRecord" },
  team_memberships: { component: "TeamMembershipResponse", typeName: "TeamMembershipRecord" },
  workspace_memberships: { component: "WorkspaceMembershipResponse", typeName: "WorkspaceMembershipRecord" },
  projects: { component: "ProjectResponse", typeName: "ProjectRecord" },
  sections: { component: "SectionResponse", typeName: "SectionRecord" },
  tasks: { component: "TaskResponse", typeName: "TaskRecord" },
  subtasks: { component: "TaskResponse", typeName: "SubtaskRecord" },
  tags: { component: "TagResponse", typeName: "TagRecord" },
  stories: { component: "StoryResponse", typeName: "StoryRecord" },
  attachments: { component: "AttachmentResponse", typeName: "AttachmentRecord" },
  project_templates: { component: "ProjectTemplateResponse", typeName: "ProjectTemplateRecord" },
  status_updates: { component: "StatusUpdateResponse", typeName: "StatusUpdateRecord" },
  webhooks: { component: "WebhookResponse", typeName: "WebhookRecord" },
  custom_fields: { component: "CustomFieldResponse", typeName: "CustomFieldRecord" },
  custom_field_settings: { component: "CustomFieldSettingResponse", typeName: "CustomFieldSettingRecord" },
  task_templates: { component: "TaskTemplateResponse", typeName: "TaskTemplateRecord" },
  portfolios: { component: "PortfolioResponse", typeName: "PortfolioRecord" },
  portfolio_items: { component: "ProjectResponse", typeName: "PortfolioItemRecord" },
  goals: { component: "GoalResponse", typeName: "GoalRecord" },
  goal_relationships: { component: "GoalRelationshipResponse", typeName: "GoalRelationshipRecord" },
  time_periods: { component: "TimePeriodResponse", typeName: "TimePeriodRecord" },
  audit_log_events: { component: "AuditLogEvent", typeName: "AuditLogEventRecord" },
};
const STREAM_NAMES = Object.keys(STREAMS).sort();

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Fields the connector adds to a stream's records (not in the spec): part of the primary key, never null. */
const CONNECTOR_KEY_FIELDS: Readonly<Record<string, readonly string[]>> = { portfolio_items: ["portfolio_gid"] };

function readSchema(stream: string): Obj {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, `${stream}.json`), "utf8")) as Obj;
}

function listFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

// -----------------------------------------------------------------------------------------------
// (a) Regeneration

describe.skipIf(!OAS_PRESENT)("schema generation from ../shared/asana/asana_oas.yaml", () => {
  const temp = mkdtempSync(join(tmpdir(), "gen-schemas-"));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("`gen-schemas --check` finds nothing to change in schemas/ and test/generated/", async () => {
    const lines: string[] = [];
    const code = await main(["--check"], (line) => lines.push(line));
    expect(code, `run \`npm run gen:schemas\`:\n${lines.join("\n")}`).toBe(0);
  });

  it("regenerating into a temp dir reproduces the committed files byte for byte", async () => {
    const out = { schemas: join(temp, "schemas"), types: join(temp, "types"), manifest: join(temp, "manifest") };
    expect(await main(["--out-schemas", out.schemas, "--out-types", out.types, "--out-manifest", out.manifest], () => {})).toBe(0);
    expect(readFileSync(join(ROOT, "manifest.yaml"), "utf8"), "manifest.yaml's property lists").toBe(
      readFileSync(join(out.manifest, "manifest.yaml"), "utf8"),
    );
    for (const [generated, committed] of [
      [out.schemas, SCHEMAS_DIR],
      [out.types, TYPES_DIR],
    ] as const) {
      expect(listFiles(committed)).toEqual(listFiles(generated));
      for (const name of listFiles(generated)) {
        expect(readFileSync(join(committed, name), "utf8"), `${committed}/${name}`).toBe(
          readFileSync(join(generated, name), "utf8"),
        );
      }
    }
    // Deterministic: a second in-memory run gives the same bytes.
    const again = await generateFiles(OAS_PATH);
    for (const file of again) {
      const dir = out[file.dir];
      expect(file.content, file.name).toBe(readFileSync(join(dir, file.name), "utf8"));
    }
  });

  it("`--check` exits 1 and names the file when a generated file differs or is stale", async () => {
    const out = { schemas: join(temp, "check-schemas"), types: join(temp, "check-types"), manifest: join(temp, "check-manifest") };
    const args = ["--out-schemas", out.schemas, "--out-types", out.types, "--out-manifest", out.manifest];
    expect(await main(args, () => {})).toBe(0);
    expect(await main(["--check", ...args], () => {})).toBe(0);
    const tasks = join(out.schemas, "tasks.json");
    writeFileSync(tasks, readFileSync(tasks, "utf8").replace('"gid"', '"gid_"'));
    writeFileSync(join(out.types, "old_stream.ts"), readFileSync(join(out.types, "tags.ts"), "utf8"));
    const lines: string[] = [];
    expect(await main(["--check", ...args], (line) => lines.push(line))).toBe(1);
    expect(lines.join("\n")).toContain(`update ${tasks}`);
    expect(lines.join("\n")).toContain(`delete ${join(out.types, "old_stream.ts")}`);
  });

  it("top-level properties are exactly those of the OAS <X>Response schema after allOf merge", () => {
    const oas = parseYaml(readFileSync(OAS_PATH, "utf8"), { maxAliasCount: -1 }) as {
      components: { schemas: Record<string, Obj> };
    };
    const components = oas.components.schemas;
    const namesOf = (node: unknown, seen: Set<string>, out: Set<string>): Set<string> => {
      if (!isObj(node)) return out;
      if (typeof node.$ref === "string") {
        const name = node.$ref.replace("#/components/schemas/", "");
        if (!seen.has(name)) namesOf(components[name], new Set([...seen, name]), out);
        return out;
      }
      for (const part of Array.isArray(node.allOf) ? node.allOf : []) namesOf(part, seen, out);
      for (const key of Object.keys(isObj(node.properties) ? node.properties : {})) out.add(key);
      return out;
    };
    for (const [stream, { component }] of Object.entries(STREAMS)) {
      const expected = [...namesOf(components[component], new Set(), new Set())].sort();
      expect(expected.length, component).toBeGreaterThan(1);
      // Besides the spec's, only the connector's own markers (Airbyte's _ab_* fields) may appear.
      const actual = Object.keys(readSchema(stream).properties as Obj).filter((k) => !k.startsWith("_ab_") && !(CONNECTOR_KEY_FIELDS[stream] ?? []).includes(k));
      expect(actual.sort(), stream).toEqual(expected);
    }
  });
});

// -----------------------------------------------------------------------------------------------
// (b) The committed schemas satisfy draft-07 and Airbyte's stream-schema rules

/** Keywords a stream schema may not use anywhere (CAT TestDiscovery/TestSpec, plus the brief). */
const FORBIDDEN = ["$ref", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "patternProperties", "prefixItems", "dependentSchemas", "dependentRequired", "definitions", "$defs"];
const ITEM_TYPES = ["object", "string", "number", "integer", "boolean"];
const FORMATS = ["date", "date-time"];

/** Every problem in a stream schema, each as "path: message". Property names are not keywords. */
function schemaProblems(root: unknown): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (!isObj(node)) {
      problems.push(`${path}: not a schema object`);
      return;
    }
    for (const key of Object.keys(node)) if (FORBIDDEN.includes(key)) problems.push(`${path}: forbidden keyword ${key}`);
    if ("additionalProperties" in node && node.additionalProperties !== true) {
      problems.push(`${path}: additionalProperties is ${JSON.stringify(node.additionalProperties)}, not true`);
    }
    const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
    if (types.length === 0) problems.push(`${path}: no type`);
    if (Array.isArray(node.type) && (node.type.length !== 2 || node.type[1] !== "null" || node.type[0] === "null")) {
      problems.push(`${path}: type list ${JSON.stringify(node.type)} must be [type, "null"]`);
    }
    if (types.includes("object") && node.additionalProperties !== true) problems.push(`${path}: object without additionalProperties: true`);
    if (node.format !== undefined && !FORMATS.includes(node.format as string)) problems.push(`${path}: format ${String(node.format)}`);
    if (Array.isArray(node.enum) && new Set(node.enum).size !== node.enum.length) problems.push(`${path}: duplicate enum values`);
    if (Array.isArray(node.enum) && types.includes("null") !== node.enum.includes(null)) {
      problems.push(`${path}: enum and type disagree on null`);
    }
    if (isObj(node.properties)) for (const [name, child] of Object.entries(node.properties)) walk(child, `${path}.${name}`);
    else if (node.properties !== undefined) problems.push(`${path}: properties is not an object`);
    if (types.includes("array") || node.items !== undefined) {
      const items = node.items;
      if (!isObj(items)) problems.push(`${path}: items must be one schema`);
      else {
        if (!("enum" in items) && !(typeof items.type === "string" && ITEM_TYPES.includes(items.type))) {
          problems.push(`${path}[]: items type ${JSON.stringify(items.type)} is not one of ${ITEM_TYPES.join("/")}`);
        }
        walk(items, `${path}[]`);
      }
    }
  };
  walk(root, "$");
  if (isObj(root)) {
    if (root.$schema !== "http://json-schema.org/draft-07/schema#") problems.push("$: $schema is not draft-07");
    if (root.type !== "object") problems.push("$: root type is not object");
    const gid = isObj(root.properties) ? root.properties.gid : undefined;
    if (!isObj(gid) || gid.type !== "string") problems.push("$: top-level gid must be {type: string}");
  }
  return problems;
}

// ajv-formats is CommonJS: depending on the loader its default export may arrive wrapped.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as (ajv: Ajv) => Ajv;

function strictAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  return ajv;
}

describe("schemas/*.json", () => {
  it("holds exactly one schema per stream (24 files)", () => {
    const files = listFiles(SCHEMAS_DIR).filter((f) => f.endsWith(".json"));
    expect(files).toEqual(STREAM_NAMES.map((s) => `${s}.json`));
    expect(files).toHaveLength(24);
  });

  it.each(STREAM_NAMES)("%s: valid draft-07, compiles under ajv strict mode", (stream) => {
    const schema = readSchema(stream);
    const ajv = strictAjv();
    expect(ajv.validateSchema(schema), ajv.errorsText(ajv.errors)).toBe(true);
    const validate = ajv.compile(schema);
    expect(validate({ gid: "12345" }), ajv.errorsText(validate.errors)).toBe(true);
    expect(validate({ gid: 12345 })).toBe(false);
  });

  it.each(STREAM_NAMES)("%s: no forbidden keywords, additionalProperties true, gid, Airbyte type rules", (stream) => {
    expect(schemaProblems(readSchema(stream))).toEqual([]);
  });

  it("the checks above catch broken schemas", () => {
    const user = { type: ["object", "null"], properties: { gid: { type: "string" } }, additionalProperties: true };
    const good: Obj = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        gid: { type: "string" },
        assignee: user,
        parent: { type: "object", properties: { gid: { type: "string" }, created_by: user }, additionalProperties: true },
        completed_at: { type: ["string", "null"], format: "date-time" },
        status: { type: ["string", "null"], enum: ["on_track", "off_track", null] },
        projects: { type: "array", items: { type: "object", additionalProperties: true } },
        tags: { type: "array", items: { type: "string", enum: ["a", "b"] } },
      },
      additionalProperties: true,
    };
    expect(schemaProblems(good)).toEqual([]);
    const broken = (mutate: (s: Obj) => void): string[] => {
      const copy = structuredClone(good);
      mutate(copy);
      return schemaProblems(copy);
    };
    const props = (s: Obj) => s.properties as Record<string, Obj>;
    expect(broken((s) => (props(s).assignee!.allOf = [{ type: "object" }]))).toContainEqual(expect.stringContaining("forbidden keyword allOf"));
    expect(broken((s) => (props(s).projects!.items = { $ref: "#/x" }))).toContainEqual(expect.stringContaining("forbidden keyword $ref"));
    expect(broken((s) => ((props(s).parent!.properties as Obj).created_by = { type: "object", additionalProperties: false }))).toContainEqual(
      expect.stringContaining("additionalProperties is false"),
    );
    expect(broken((s) => (props(s).completed_at!.type = ["null", "string"]))).toContainEqual(expect.stringContaining("type list"));
    expect(broken((s) => (props(s).tags!.items = { type: ["object", "null"], additionalProperties: true }))).toContainEqual(
      expect.stringContaining("items type"),
    );
    expect(broken((s) => delete props(s).gid)).toContain("$: top-level gid must be {type: string}");
    expect(broken((s) => delete s.additionalProperties)).toContain("$: object without additionalProperties: true");
    expect(broken((s) => (props(s).status!.enum = ["on_track", "on_track", null]))).toContain("$.status: duplicate enum values");
    expect(broken((s) => (props(s).status!.type = "string"))).toContain("$.status: enum and type disagree on null");
    expect(broken((s) => (props(s).completed_at!.format = "uri"))).toContain("$.completed_at: format uri");
    expect(broken((s) => (props(s).projects!.items = [{ type: "string" }]))).toContain("$.projects: items must be one schema");
    // A property *named* like a keyword is fine.
    expect(broken((s) => (props(s).not = { type: "string" }))).toEqual([]);
  });
});

// -----------------------------------------------------------------------------------------------
// The conversion rules on a synthetic spec (the real one has no reachable oneOf/anyOf)

describe("OAS -> draft-07 conversion rules", () => {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const document = {
    components: {
      schemas: {
        Node: { type: "object", properties: { gid: { type: "string" }, parent: ref("Node"), children: { type: "array", items: ref("Node") } } },
        A: { type: "object", properties: { gid: { type: "string" }, kind: { type: "string", enum: ["a"] }, x: { type: "integer" } } },
        B: { type: "object", properties: { kind: { type: "string", enum: ["b"] }, y: { type: "string", nullable: true } } },
        Root: {
          allOf: [
            ref("Node"),
            {
              type: "object",
              properties: {
                gid: { type: "string", nullable: true },
                member: { oneOf: [ref("A"), ref("B")], nullable: true },
                list: { type: "array", items: { anyOf: [ref("A"), ref("B")] } },
                status: { type: "string", enum: ["x", "y"], nullable: true, example: "x", readOnly: true, "x-insert-after": "gid" },
                when: { type: "string", format: "date-time" },
                link: { type: "string", format: "uri" },
                banned: { type: "object", not: { type: "string" }, patternProperties: { "^x": { type: "string" } }, additionalProperties: { type: "string" } },
              },
            },
          ],
        },
      },
    },
  };
  const schema = new OasConverter(document).rootSchema("Root", "test") as Obj;
  const props = schema.properties as Record<string, Obj>;

  it("passes the stream-schema checks", () => {
    expect(schemaProblems(schema)).toEqual([]);
    expect(Object.keys(props)).toEqual(["gid", "parent", "children", "member", "list", "status", "when", "link", "banned"]);
  });

  it("ends cycles with opaque objects below the depth limit", () => {
    const level2 = (props.parent!.properties as Record<string, Obj>).parent!;
    expect(Object.keys(level2.properties as Obj)).toEqual(["gid", "parent", "children"]);
    expect((level2.properties as Record<string, Obj>).parent).toEqual({ type: ["object", "null"], additionalProperties: true });
    expect((level2.properties as Record<string, Obj>).children).toEqual({
      type: ["array", "null"],
      items: { type: "object", additionalProperties: true },
    });
  });

  it("merges oneOf/anyOf into one permissive object; every property but the root gid nullable; enums as known values", () => {
    expect(props.gid).toEqual({ type: "string" });
    const nullableString = { type: ["string", "null"] };
    expect(props.member).toEqual({
      type: ["object", "null"],
      properties: {
        gid: nullableString,
        kind: { description: "Known values: a, b.", type: ["string", "null"] },
        x: { type: ["integer", "null"] },
        y: nullableString,
      },
      additionalProperties: true,
    });
    expect((props.list!.items as Obj).properties).toEqual((props.member!.properties as Obj));
    expect((props.list!.items as Obj).type, "array items stay non-null").toBe("object");
    expect(props.status).toEqual({ description: "Known values: x, y.", type: ["string", "null"] });
    expect(props.when).toEqual({ type: ["string", "null"], format: "date-time" });
    expect(props.link).toEqual(nullableString);
    expect(props.banned).toEqual({ type: ["object", "null"], additionalProperties: true });
    expect(keywordUses(schema as Parameters<typeof keywordUses>[0], ["enum"]), "no closed vocabularies").toEqual([]);
  });
});

describe.each(STREAM_NAMES)("schemas/%s.json holds for what Asana sends", (stream) => {
  it("every property except the root gid accepts null, and no enum closes a vocabulary", () => {
    const schema = readSchema(stream);
    const problems: string[] = [];
    const walk = (node: unknown, path: string, isItems: boolean): void => {
      if (!isObj(node)) return;
      const types = Array.isArray(node.type) ? node.type : [node.type];
      const key = path === "$.gid" || (CONNECTOR_KEY_FIELDS[stream] ?? []).some((f) => path === `$.${f}`);
      if (!isItems && path !== "$" && !key && !types.includes("null")) problems.push(`${path}: not nullable`);
      if ("enum" in node) problems.push(`${path}: enum`);
      if (isObj(node.properties)) for (const [name, child] of Object.entries(node.properties)) walk(child, `${path}.${name}`, false);
      if (node.items !== undefined) walk(node.items, `${path}[]`, true);
    };
    walk(schema, "$", false);
    expect(problems).toEqual([]);
  });
});

// -----------------------------------------------------------------------------------------------
// (c) The generated TypeScript types

describe("test/generated (record types)", () => {
  const expectedFiles = [...STREAM_NAMES.map((s) => `${s}.ts`), "index.ts"].sort();

  it("holds one module per stream plus index.ts, each marked as generated", () => {
    expect(listFiles(TYPES_DIR).filter((f) => f.endsWith(".ts"))).toEqual(expectedFiles);
    for (const name of expectedFiles) {
      expect(readFileSync(join(TYPES_DIR, name), "utf8"), name).toMatch(/^\/\* eslint-disable \*\/\n\/\*\*\n \* Generated by scripts\/gen-schemas\.ts \(`npm run gen:schemas`\)/);
    }
  });

  it("compiles, and index.ts exports a record type for every stream", () => {
    const typeNames = Object.values(STREAMS).map((s) => s.typeName);
    const checkFile = join(ROOT, "test", "__generated_types_check__.ts");
    const checkSource = [
      `import type { StreamName, StreamRecords, ${typeNames.join(", ")} } from "./generated/index.js";`,
      `type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;`,
      `export const namesMatch: Equal<StreamName, ${STREAM_NAMES.map((s) => JSON.stringify(s)).join(" | ")}> = true;`,
      `export const minimal: StreamRecords = {`,
      ...Object.entries(STREAMS).map(([stream, { typeName }]) => `  ${stream}: { gid: "1" } satisfies ${typeName},`),
      `};`,
      ...Object.entries(STREAMS).map(
        ([stream, { typeName }]) =>
          `export const ${stream}Gid: Equal<NonNullable<${typeName}["gid"]>, string> & Equal<StreamRecords["${stream}"], ${typeName}> = true;`,
      ),
      "",
    ].join("\n");

    const configFile = ts.readConfigFile(join(ROOT, "tsconfig.json"), (path) => ts.sys.readFile(path));
    expect(configFile.error).toBeUndefined();
    const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
    const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, sourceMap: false };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, language, ...rest) =>
      resolve(fileName) === checkFile ? ts.createSourceFile(fileName, checkSource, language, true) : getSourceFile(fileName, language, ...rest);
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (fileName) => resolve(fileName) === checkFile || fileExists(fileName);
    const readFile = host.readFile.bind(host);
    host.readFile = (fileName) => (resolve(fileName) === checkFile ? checkSource : readFile(fileName));

    const program = ts.createProgram({ rootNames: [checkFile], options, host });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : "";
      return where + ts.flattenDiagnosticMessageText(d.messageText, "\n");
    });
    expect(diagnostics).toEqual([]);

    const index = program.getSourceFile(join(TYPES_DIR, "index.ts"));
    expect(index, "test/generated/index.ts is part of the program").toBeDefined();
    const checker = program.getTypeChecker();
    const moduleSymbol = checker.getSymbolAtLocation(index!);
    const exported = checker.getExportsOfModule(moduleSymbol!).map((s) => s.name).sort();
    expect(exported).toEqual([...typeNames, "StreamName", "StreamRecords"].sort());
  });
});
