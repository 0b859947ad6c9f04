import { describe, expect, it } from "vitest";
import {
  interpolate,
  interpolateBoolean,
  interpolateString,
  literalEval,
  strftime,
} from "../../src/manifest/interpolation.js";

const asanaPage = { data: [{ gid: "1" }], next_page: { offset: "eyJ0", path: "/x", uri: "http://x" } };
const lastPage = { data: [{ gid: "2" }], next_page: null };

describe("interpolation", () => {
  it("evaluates Asana's cursor expressions with Python dict methods", () => {
    const cursor = '{{ response.get("next_page", {}).get("offset", "") }}';
    expect(interpolateString(cursor, { response: asanaPage })).toBe("eyJ0");
    expect(interpolateString(cursor, { response: lastPage })).toBe("");
    expect(interpolateString(cursor, { response: { data: [] } })).toBe("");
    const stop = '{{ not response.get("next_page", {}) }}';
    expect(interpolateBoolean(stop, { response: lastPage })).toBe(true);
    expect(interpolateBoolean(stop, { response: { data: [] } })).toBe(true);
    expect(interpolateBoolean(stop, { response: asanaPage })).toBe(false);
  });

  it("casts rendered text like Python literal_eval", () => {
    expect(interpolate("{{ config.get('num_workers', 3) }}", { config: {} })).toBe(3);
    expect(interpolate("{{ config.get('num_workers', 3) }}", { config: { num_workers: 12 } })).toBe(12);
    expect(interpolate("100", {})).toBe(100);
    expect(interpolate("1.5", {})).toBe(1.5);
    expect(interpolate("True", {})).toBe(true);
    expect(interpolate("None", {})).toBe(null);
    expect(interpolate("{'a': [1, 'b']}", {})).toEqual({ a: [1, "b"] });
    expect(interpolate("abc", {})).toBe("abc");
    // Beyond 2^53 stays text (a gid must never lose digits).
    expect(literalEval("123456789012345678901")).toBe("123456789012345678901");
    expect(literalEval("[1, 2")).toBe("[1, 2");
  });

  it("gives the fallback for an empty render, and keeps non-templates as they are", () => {
    expect(interpolate("{{ config.missing }}", { config: {} }, "dflt")).toBe("dflt");
    expect(interpolateString("{{ config['base_url'] or 'https://app.asana.com/api/1.0' }}", { config: {} })).toBe(
      "https://app.asana.com/api/1.0",
    );
    expect(interpolateString("/workspaces", {})).toBe("/workspaces");
  });

  it("treats undefined attributes and calls on None as empty, like Airbyte", () => {
    expect(interpolateString("{{ stream_partition.missing }}", { stream_partition: {} })).toBe("");
    expect(interpolateString('{{ x.get("a").get("b") }}', { x: { a: null } })).toBe("");
  });

  it("supports subscripts and attribute access on partitions", () => {
    const ctx = { stream_partition: { workspace_gid: "1200" }, stream_slice: { workspace_gid: "1200" } };
    expect(interpolateString("/workspaces/{{ stream_partition.workspace_gid }}/teams", ctx)).toBe("/workspaces/1200/teams");
    expect(interpolateString("{{ stream_slice['workspace_gid'] }}", ctx)).toBe("1200");
  });

  it("applies Airbyte's boolean semantics", () => {
    for (const falsy of ["False", "false", "{}", "[]", "", "0", "0.0", "None"]) {
      expect(interpolateBoolean(falsy, {})).toBe(false);
    }
    expect(interpolateBoolean("{{ record.get('num_subtasks', 1) != 0 }}", { record: { num_subtasks: 0 } })).toBe(false);
    expect(interpolateBoolean("{{ record.get('num_subtasks', 1) != 0 }}", { record: { num_subtasks: 2 } })).toBe(true);
    expect(interpolateBoolean("{{ record.get('num_subtasks', 1) != 0 }}", { record: {} })).toBe(true);
    expect(interpolateBoolean("{{ record.get('is_organization', true) }}", { record: { is_organization: false } })).toBe(false);
  });

  it("offers Airbyte's macros", () => {
    expect(strftime(new Date("2024-03-05T10:11:12.345Z"), "%Y-%m-%dT%H:%M:%S.%fZ")).toBe("2024-03-05T10:11:12.345000Z");
    // Epoch formats, as DatetimeBasedCursor writes them: seconds and milliseconds.
    expect(strftime(new Date("2024-03-05T10:11:12.345Z"), "%s")).toBe("1709633472");
    expect(strftime(new Date("2024-03-05T10:11:12.345Z"), "%ms")).toBe("1709633472345");
    expect(interpolateString("{{ format_datetime('2024-03-05T10:11:12Z', '%Y/%m/%d') }}", {})).toBe("2024/03/05");
    expect(interpolate("{{ timestamp('1970-01-02T00:00:00Z') }}", {})).toBe(86400);
    expect(interpolateString("{{ today_utc() }}", {})).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("reports a template that does not parse as a system error", () => {
    expect(() => interpolateString("{{ unclosed", {})).toThrow(/invalid template/);
  });
});
