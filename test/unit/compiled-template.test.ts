/**
 * The compiled fast path of interpolation against the Jinja library: every template of the
 * manifest, and edge cases, through both paths over many contexts, with the same text (or the
 * same error) from each.
 */
import { describe, expect, it } from "vitest";
import { isTemplate, render, renderFast, renderSlow } from "../../src/manifest/interpolation.js";
import { loadManifest } from "../../src/manifest/load.js";

/** Every template string in the loaded manifest (references resolved, so as the runtime sees them). */
function manifestTemplates(): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (isTemplate(value)) found.add(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") Object.values(value).forEach(visit);
  };
  visit(loadManifest().root);
  return [...found];
}

type Outcome = { text: string } | { error: string };

function outcome(run: () => string): Outcome {
  try {
    return { text: run() };
  } catch (error) {
    return { error: String(error) };
  }
}

/** A deterministic generator (mulberry32), so a failure names a context that can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MISSING = Symbol("missing");

/** Values of every kind the library distinguishes: falsy ones, None, numbers, lists, dicts. */
const SCALARS: unknown[] = [MISSING, null, "", "a", "abc", "a/b", "1", "True", 0, 1, 2, -1, 1.5, true, false];
const SHAPES: unknown[] = [[], ["a"], ["a", "b", 1], {}, { a: 1 }, { a: null }, { a: { b: "c" } }, { get: "own" }, { y: { z: 0 } }];
const ANY = [...SCALARS, ...SHAPES];

const PAGES: unknown[] = [
  { data: [{ gid: "1" }], next_page: { offset: "eyJ0", path: "/x?offset=eyJ0", uri: "http://x" } },
  { data: [{ gid: "2" }], next_page: null },
  { data: [] },
  { data: [], next_page: {} },
  { data: [], next_page: { offset: null } },
  { data: [], next_page: { offset: "" } },
  { data: [{ gid: "3" }], sync: "tok", has_more: true },
  { data: [], sync: "tok2", has_more: false },
  { errors: [{ message: "Sync token invalid or too old" }], sync: "new" },
  { errors: [] },
  {},
  null,
];

const RECORDS: unknown[] = [
  { type: "task", action: "changed", resource: { gid: "11", resource_type: "task" } },
  { type: "task", action: "added", resource: { gid: "12" }, parent: { gid: "13", resource_type: "task" } },
  { type: "task", action: "added", resource: { gid: "14" }, parent: { gid: "15", resource_type: "project" } },
  { type: "task", action: "added", parent: null },
  { type: "story", action: "added", parent: { gid: "16", resource_type: "task" } },
  { type: "attachment", action: "removed", parent: { gid: "17", resource_type: "task" } },
  { type: "story", action: "deleted", resource: { gid: "18", resource_type: "story" }, created_at: "2024-01-02T03:04:05.000Z" },
  { type: "task", action: "deleted", resource: { gid: "19", resource_type: "task" } },
  { action: "deleted", resource: null },
  { gid: "20", num_subtasks: 0 },
  { gid: "21", num_subtasks: 3 },
  { gid: "22", num_subtasks: null },
  { gid: "23", is_organization: false },
  { gid: "24", is_organization: true },
  { gid: "25", is_organization: null },
  { get: "own key" },
  {},
];

const CONFIGS: unknown[] = [
  {},
  {
    base_url: "http://127.0.0.1:1/api/1.0",
    start_date: "2020-01-01T00:00:00Z",
    num_workers: 4,
    credentials: { personal_access_token: "pat", client_id: "id", client_secret: "s", refresh_token: "r" },
  },
  { base_url: "", start_date: null, num_workers: 0, credentials: { service_account_token: "svc" } },
  { base_url: null, credentials: {} },
  { num_workers: "7", start_date: "" },
];

const PARTITIONS: unknown[] = [
  { workspace_gid: "1200", project_gid: "1300", team_gid: "1400", task_gid: "1500", parent_gid: "1600", gid: "1700" },
  { workspace_gid: 1200, task_gid: 0 },
  { gid: null },
  {},
];

/** Values for each name a template reads; any other name gets one of ANY. */
const POOLS: Record<string, unknown[]> = {
  config: [...CONFIGS, MISSING],
  response: [...PAGES, MISSING],
  record: [...RECORDS, MISSING],
  stream_partition: [...PARTITIONS, MISSING],
  stream_slice: [...PARTITIONS, MISSING],
  headers: [{ location: "http://elsewhere/" }, {}, { location: "" }, MISSING],
  // An AddFields condition's field path (the selector's AddFields: one dotted name).
  path: [["assignee.name"], ["name"], ["a", "b"], [], MISSING],
};

function contexts(count: number, seed: number): Array<Record<string, unknown>> {
  const next = random(seed);
  const pick = (pool: unknown[]): unknown => pool[Math.floor(next() * pool.length)];
  const names = [...Object.keys(POOLS), "value", "x", "y", "z", "client_id_value", "client_id_param", "redirect_uri_value", "auth_code_value"];
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    const context: Record<string, unknown> = {};
    for (const name of names) {
      const value = pick(POOLS[name] ?? ANY);
      if (value !== MISSING) context[name] = value;
    }
    out.push(context);
  }
  return out;
}

/** Renders `source` both ways over `all` contexts; returns how many the fast path answered itself. */
function compareBothPaths(source: string, all: Array<Record<string, unknown>>): number {
  let fast = 0;
  for (const context of all) {
    const slow = outcome(() => renderSlow(source, context));
    const quick = renderFast(source, context);
    if (quick !== undefined) {
      fast++;
      expect({ source, context, outcome: { text: quick } }).toEqual({ source, context, outcome: slow });
    }
    expect({ source, context, outcome: outcome(() => render(source, context)) }).toEqual({ source, context, outcome: slow });
  }
  return fast;
}

const EDGE_CASES = [
  "{{ x }}",
  "pre {{ x }} mid {{ y }} post",
  "{{ x.y }}",
  "{{ x.y.z }}",
  "{{ x['a'] }}",
  "{{ x['a']['b'] }}",
  "{{ x[0] }}",
  "{{ x[-1] }}",
  "{{ x[y] }}",
  "{{ x.length }}",
  "{{ x.get('a') }}",
  "{{ x.get('a', 'd') }}",
  "{{ x.get('a', y) }}",
  "{{ x.get('a', {}).get('b', 'c') }}",
  "{{ x.get('y', {}).get('z', 5) }}",
  "{{ x.get(y) }}",
  "{{ x.get }}",
  "{{ x.keys() }}",
  "{{ not x }}",
  "{{ not not x }}",
  "{{ x and y }}",
  "{{ x or y }}",
  "{{ x or 'default' }}",
  "{{ x and y or z }}",
  "{{ x == y }}",
  "{{ x != y }}",
  "{{ x == 'a' }}",
  "{{ x == 1 }}",
  "{{ x != 0 }}",
  "{{ x == none }}",
  "{{ x == None }}",
  "{{ x == true }}",
  "{{ x is none }}",
  "{{ x < y }}",
  "{{ x >= 2 }}",
  "{{ x <= 1.5 }}",
  "{{ x > -1 }}",
  "{{ x in ['a', 'b', 1] }}",
  "{{ 'a' in x }}",
  "{{ x in y }}",
  "{{ x not in y }}",
  "{{ x not in ['a'] }}",
  "{{ x + y }}",
  "{{ 'p/' + x }}",
  "{{ x + '/q' }}",
  "{{ x ~ y }}",
  "{{ x ~ '/' ~ y }}",
  "{{ x if y else 'n' }}",
  "{{ x if y }}",
  "{{ x if y == 'a' and z else y }}",
  "{{ x | replace('a', 'b') }}",
  "{{ (x or 'a/b') | replace('/', '-') }}",
  "{{ x | replace('', '-') }}",
  "{{ x | upper }}",
  "{{ x.split('.') }}",
  "{{ x.split('.')[0] }}",
  "{{ x.split('.')[0] in y }}",
  "{{ x.split('') }}",
  "{{ x.split() }}",
  "{{ x.split(y) }}",
  "{{ 1.5 }}",
  "{{ 2.0 }}",
  "{{ 3 }}",
  "{{ -2 }}",
  "{{ [1, 'a'] }}",
  "{{ {'a': x} }}",
  "{{ {} }}",
  "{{ true }}",
  "{{ False }}",
  "{{ none }}",
  "{{ x * 2 }}",
  "{{ x.upper() }}",
  "{{ max(x, y) }}",
  "{{ format_datetime(x, '%Y') }}",
  "{% if x %}a{% else %}b{% endif %}",
  "{{ x }}{# a comment #}",
];

describe("compiled templates", () => {
  const all = contexts(300, 17);

  it("render every template of the manifest as the Jinja library does, and answer most contexts themselves", () => {
    const templates = manifestTemplates();
    expect(templates.length).toBeGreaterThan(30);
    for (const source of templates) {
      const fast = compareBothPaths(source, all);
      // Every template of the manifest is compiled: typical contexts never need the library.
      expect({ source, fast: fast > 0 }).toEqual({ source, fast: true });
    }
  });

  it("handle edge cases as the library does: missing keys, None, falsy values, nested defaults, strings, numbers, booleans, in", () => {
    for (const source of EDGE_CASES) compareBothPaths(source, all);
  });

  it("evaluate a page's pagination without the library, None and a missing key alike", () => {
    const cursor = '{{ response.get("next_page", {}).get("offset", "") }}';
    const stop = '{{ not response.get("next_page", {}) }}';
    expect(renderFast(cursor, { response: PAGES[0] })).toBe("eyJ0");
    expect(renderFast(stop, { response: PAGES[0] })).toBe("false");
    expect(renderFast(stop, { response: PAGES[2] })).toBe("true");
    // next_page: null is a value (None), which .get returns rather than the default: None.get(...)
    // is an error in Jinja, which Airbyte renders as empty: the library decides it.
    expect(renderFast(cursor, { response: PAGES[1] })).toBeUndefined();
    expect(render(cursor, { response: PAGES[1] })).toBe("");
  });

  it("leave to the library what they do not compile, and values they do not cover", () => {
    expect(renderFast("{{ x * 2 }}", { x: 2 })).toBeUndefined();
    expect(render("{{ x * 2 }}", { x: 2 })).toBe("4");
    expect(renderFast("{{ x }}", { x: [1] })).toBeUndefined();
    expect(render("{{ x }}", { x: [1] })).toBe(renderSlow("{{ x }}", { x: [1] }));
    expect(renderFast("{{ x }}", { x: new Date(0) })).toBeUndefined();
  });
});
