/**
 * AddFields with Airbyte's semantics: the value rendered with the record, the config and the
 * partition, cast like Airbyte's literal evaluation unless a value_type keeps it; nested paths
 * create their objects.
 */
import { describe, expect, it } from "vitest";
import { buildTransformations, castValue, transformRecords } from "../../src/declarative/transformations.js";

const field = (path: string[], value: string, valueType?: string): Record<string, unknown> => ({
  type: "AddedFieldDefinition",
  path,
  value,
  ...(valueType === undefined ? {} : { value_type: valueType }),
});

describe("AddFields", () => {
  const context = { config: { region: "eu" }, stream_partition: { portfolio_gid: "1205000000000001" }, stream_slice: { portfolio_gid: "1205000000000001" } };

  it("adds the partition's value at a path, a numeric id kept as a string under value_type: string", () => {
    const transformations = buildTransformations(
      [{ type: "AddFields", fields: [field(["portfolio_gid"], "{{ stream_partition.portfolio_gid }}", "string"), field(["meta", "region"], "{{ config.region }}")] }],
      "t",
    );
    const records = transformRecords([{ gid: "1" }, { gid: "2", meta: { kept: true } }], transformations, context);
    expect(records).toEqual([
      { gid: "1", portfolio_gid: "1205000000000001", meta: { region: "eu" } },
      { gid: "2", portfolio_gid: "1205000000000001", meta: { kept: true, region: "eu" } },
    ]);
  });

  it("reads the record itself", () => {
    const transformations = buildTransformations([{ type: "AddFields", fields: [field(["label"], "{{ record.name }}-{{ record.gid }}")] }], "t");
    expect(transformRecords([{ gid: "7", name: "x" }], transformations, context)).toEqual([{ gid: "7", name: "x", label: "x-7" }]);
  });

  it("casts like Airbyte: a literal without value_type, the text when value_type names another type", () => {
    expect(castValue("12", undefined)).toBe(12);
    expect(castValue("12", "string")).toBe("12");
    expect(castValue("12", "integer")).toBe(12);
    expect(castValue("1.5", "number")).toBe(1.5);
    expect(castValue("abc", "integer")).toBe("abc");
    expect(castValue("True", "boolean")).toBe(true);
  });

  it("adds a field only where its condition holds; the condition sees the value and the path", () => {
    const transformations = buildTransformations(
      [{ type: "AddFields", condition: "{{ path[0] != 'b' and value != 'skip' and record.gid == '7' }}", fields: [field(["a"], "x"), field(["b"], "y"), field(["c"], "skip")] }],
      "t",
    );
    expect(transformRecords([{ gid: "7" }, { gid: "8" }], transformations, context)).toEqual([{ gid: "7", a: "x" }, { gid: "8" }]);
    expect(() => buildTransformations([{ type: "AddFields", condition: 3, fields: [field(["a"], "x")] }], "t")).toThrow(/t\[0\]\.condition must be a string/);
  });

  it("refuses a field without a path or with a non-string value", () => {
    expect(() => buildTransformations([{ type: "AddFields", fields: [field([], "x")] }], "t")).toThrow(/t\[0\]\.fields\[0\]\.path must be a non-empty list/);
    expect(() => buildTransformations([{ type: "AddFields", fields: [{ type: "AddedFieldDefinition", path: ["a"], value: 3 }] }], "t")).toThrow(/value must be a string/);
    expect(() => buildTransformations([{ type: "AddFields", fields: [field(["a"], "x", "date")] }], "t")).toThrow(/value_type must be one of/);
  });
});
