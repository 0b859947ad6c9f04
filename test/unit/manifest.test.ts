import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest/load.js";
import { resolveReferences } from "../../src/manifest/references.js";
import { propagateComponents } from "../../src/manifest/components.js";

describe("reference resolution", () => {
  it("replaces #/ strings and merges $ref objects with local keys winning", () => {
    const out = resolveReferences({
      definitions: { base: { a: 1, b: 2 }, "with/slash": { c: 3 }, list: [{ x: 1 }, { x: 2 }] },
      use: { $ref: "#/definitions/base", b: 20 },
      str: "#/definitions/base",
      slash: "#/definitions/with/slash",
      indexed: "#/definitions/list/1",
    });
    expect(out.use).toEqual({ a: 1, b: 20 });
    expect(out.str).toEqual({ a: 1, b: 2 });
    expect(out.slash).toEqual({ c: 3 });
    expect(out.indexed).toEqual({ x: 2 });
  });

  it("resolves nested and chained references", () => {
    const out = resolveReferences({
      definitions: { a: { $ref: "#/definitions/b", k: "a" }, b: { k: "b", deep: "#/definitions/c" }, c: 7 },
      x: "#/definitions/a",
    });
    expect(out.x).toEqual({ k: "a", deep: 7 });
  });

  it("names a cycle and a dangling reference", () => {
    expect(() => resolveReferences({ a: { $ref: "#/b" }, b: { $ref: "#/a" } })).toThrow(/cycle/);
    expect(() => resolveReferences({ a: "#/nope" })).toThrow(/points at nothing/);
  });
});

describe("component propagation", () => {
  it("inserts default types and fills fields from $parameters", () => {
    const out = propagateComponents({
      type: "DeclarativeSource",
      streams: [
        {
          $parameters: { name: "projects", path: "/projects" },
          retriever: { requester: { url_base: "https://x" }, record_selector: { extractor: { field_path: ["data"] } } },
        },
      ],
    });
    const stream = (out.streams as Record<string, unknown>[])[0]!;
    expect(stream.type).toBe("DeclarativeStream");
    expect(stream.name).toBe("projects");
    const retriever = stream.retriever as Record<string, Record<string, unknown>>;
    expect(retriever.type).toBe("SimpleRetriever");
    expect(retriever.requester!.type).toBe("HttpRequester");
    expect(retriever.requester!.path).toBe("/projects");
    expect((retriever.record_selector!.extractor as Record<string, unknown>).type).toBe("DpathExtractor");
  });

  it("lets a child's own $parameters override the parent's and leaves JSON schemas alone", () => {
    const out = propagateComponents({
      type: "DeclarativeStream",
      $parameters: { name: "outer", page: 1 },
      retriever: { type: "SimpleRetriever", $parameters: { name: "inner" } },
      schema_loader: { type: "InlineSchemaLoader", schema: { type: "object", properties: { name: { type: "string" } } } },
    });
    const retriever = out.retriever as Record<string, unknown>;
    expect(retriever.name).toBe("inner");
    expect(retriever.page).toBe(1);
    const schema = (out.schema_loader as Record<string, Record<string, unknown>>).schema!;
    expect(schema.name).toBeUndefined();
    expect(schema.$parameters).toBeUndefined();
  });
});

describe("parseManifest", () => {
  it("rejects YAML errors with the line and a missing DeclarativeSource", () => {
    expect(() => parseManifest("a: [1,\nb: 2", "m.yaml")).toThrow(/not valid YAML/);
    expect(() => parseManifest("type: Other\ncheck: {}\nversion: 1", "m.yaml")).toThrow(/DeclarativeSource/);
    expect(() => parseManifest("type: DeclarativeSource\nversion: 1", "m.yaml")).toThrow(/"check"/);
  });
});
