/**
 * opt_fields: the dotted paths derived from a schema, their place in manifest.yaml, and the column
 * selection that narrows them without dropping the sub-fields of a kept column.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { formatPropertyList, optFieldPaths, rewriteManifest } from "../../scripts/opt-fields.js";
import { QueryProperties } from "../../src/declarative/requester.js";
import { ROOT } from "../helpers/shared.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const user = { type: ["object", "null"], properties: { gid: { type: "string" }, resource_type: { type: "string" }, name: { type: "string" } } };
const schema = {
  type: "object",
  properties: {
    gid: { type: "string" },
    notes: { type: ["string", "null"] },
    assignee: user,
    photo: { type: ["object", "null"], additionalProperties: true },
    dependencies: { type: ["array", "null"], items: { type: "object", properties: { gid: { type: "string" } } } },
    memberships: {
      type: ["array", "null"],
      items: { type: "object", properties: { project: user, section: { type: ["object", "null"], additionalProperties: true } } },
    },
    custom_fields: {
      type: ["array", "null"],
      items: {
        type: "object",
        properties: {
          gid: { type: "string" },
          display_value: { type: ["string", "null"] },
          enum_value: { type: ["object", "null"], properties: { gid: { type: "string" }, name: { type: "string" } } },
        },
      },
    },
    _ab_cdc_deleted_at: { type: ["string", "null"] },
  },
};

describe("optFieldPaths", () => {
  it("names every leaf as a dotted path, leaves gid out, keeps opaque objects whole", () => {
    expect(optFieldPaths(schema, ["_ab_cdc_deleted_at"])).toEqual([
      "notes",
      "assignee.resource_type",
      "assignee.name",
      "photo",
      "dependencies",
      "memberships.project.resource_type",
      "memberships.project.name",
      "memberships.section",
      "custom_fields.display_value",
      "custom_fields.enum_value.name",
    ]);
  });
});

describe("QueryProperties with a property selector", () => {
  const paths = optFieldPaths(schema, ["_ab_cdc_deleted_at"]);
  const properties = new QueryProperties(paths, [], true);

  it("asks for everything without a selection", () => {
    expect(properties.render(undefined)).toBe(paths.join(","));
  });

  it("keeps the dotted sub-fields of every selected top-level field and nothing of the others", () => {
    expect(properties.render(new Set(["gid", "assignee", "custom_fields"]))).toBe(
      "assignee.resource_type,assignee.name,custom_fields.display_value,custom_fields.enum_value.name",
    );
  });
});

describe("the manifest's property lists", () => {
  const source = readFileSync(join(ROOT, "manifest.yaml"), "utf8");
  const manifest = parseYaml(source) as { definitions: { streams: Record<string, Obj> } };

  it("rewriting them changes nothing but the lists, and the lists parse back", () => {
    const changed = rewriteManifest(source, new Map([...Object.keys(manifest.definitions.streams), "tasks", "subtasks"].map((n) => [n, ["a", "b.c"]])));
    const reparsed = parseYaml(changed) as { definitions: { streams: Record<string, Obj> } };
    const lists = (doc: { definitions: { streams: Record<string, Obj> } }) =>
      Object.entries(doc.definitions.streams).flatMap(([name, stream]) => {
        const opt = ((stream.retriever as Obj | undefined)?.requester as Obj | undefined)?.request_parameters as Obj | undefined;
        return isObj(opt?.opt_fields) ? [[name, (opt.opt_fields as Obj).property_list] as const] : [];
      });
    expect(lists(reparsed).length).toBeGreaterThan(10);
    for (const [, list] of lists(reparsed)) expect(list).toEqual(["a", "b.c"]);
    // Outside the lists, every line is the same.
    const strip = (text: string) => text.replace(/property_list: \[[^\]]*\]/g, "property_list: []");
    expect(strip(changed)).toBe(strip(source));
  });

  it("name only fields the stream's schema describes, to the leaf", () => {
    for (const [name, stream] of Object.entries(manifest.definitions.streams)) {
      const requester = (stream.retriever as Obj | undefined)?.requester as Obj | undefined;
      const opt = (requester?.request_parameters as Obj | undefined)?.opt_fields;
      if (!isObj(opt)) continue;
      const loader = stream.schema_loader as Obj | undefined;
      const ref = isObj(loader?.schema) ? String((loader.schema as Obj).$ref) : undefined;
      const schemaName = ref !== undefined ? ref.replace(/^#\/schemas\//, "") : String((stream.$parameters as Obj).name);
      const streamSchema = JSON.parse(readFileSync(join(ROOT, "schemas", `${schemaName}.json`), "utf8")) as Obj;
      for (const path of opt.property_list as string[]) {
        let node: Obj | undefined = streamSchema;
        for (const segment of path.split(".")) {
          const holder: Obj | undefined = isObj(node?.items) ? (node.items as Obj) : node;
          node = isObj(holder?.properties) ? ((holder.properties as Obj)[segment] as Obj | undefined) : undefined;
          expect(node, `${name}: ${path} (at ${segment})`).toBeDefined();
        }
        const leaf = isObj(node!.items) ? (node!.items as Obj) : node!;
        const sub = isObj(leaf.properties) ? Object.keys(leaf.properties).filter((k) => k !== "gid") : [];
        expect(sub, `${name}: ${path} is a leaf`).toEqual([]);
      }
    }
  });

  it("are laid out one field group per line", () => {
    expect(formatPropertyList(["a", "b", "c.x", "c.y", "d"], 4)).toBe("[\n      a, b,\n      c.x, c.y,\n      d\n    ]");
  });
});
