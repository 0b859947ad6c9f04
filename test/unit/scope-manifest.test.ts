/**
 * The scope settings in manifest.yaml, read the way both runtimes read them: the `archived`
 * parameter of the project listing renders empty by default (no parameter: this runtime drops an
 * empty value, and Airbyte's interpolation turns an empty rendering into None, which it drops)
 * and "false" (a string, not Python's False) when archived projects are left out; every stream
 * hanging from workspaces, teams or projects inherits their filters, so nothing out of scope
 * becomes a partition.
 */
import { describe, expect, it } from "vitest";
import { buildSource } from "../../src/declarative/source.js";
import type { DeclarativeSource } from "../../src/declarative/source.js";
import { emptyParts } from "../../src/declarative/request-option.js";
import { loadManifest } from "../../src/manifest/load.js";

const manifest = loadManifest();
const sourceFor = (config: Record<string, unknown>): DeclarativeSource =>
  buildSource(manifest, { credentials: { option_title: "PAT Credentials", personal_access_token: "t" }, ...config });

function projectListing(config: Record<string, unknown>): URL {
  const projects = sourceFor(config).byName.get("projects")!;
  const page = projects.paginator.request(undefined);
  return new URL(projects.requester.build({ workspace_gid: "1" }, undefined, page, emptyParts()).url);
}

describe("include_archived_projects", () => {
  it("sends no archived parameter by default, nor when true", () => {
    for (const config of [{}, { include_archived_projects: true }, { include_archived_projects: null }]) {
      expect(projectListing(config).searchParams.has("archived"), JSON.stringify(config)).toBe(false);
    }
  });

  it("sends archived=false when false", () => {
    expect(projectListing({ include_archived_projects: false }).searchParams.get("archived")).toBe("false");
  });

  it("renders a lowercase string literal (Airbyte's runtime would turn False into a Python bool)", () => {
    const text = JSON.stringify(manifest.root);
    expect(text).toContain(`"archived":"{{ 'false' if config.get('include_archived_projects') == false else '' }}"`);
  });
});

describe("the scope filters reach every stream below", () => {
  const source = sourceFor({});
  const parentsOf = (name: string): string[] => {
    const partitions = source.byName.get(name)!.partitions;
    return partitions.kind === "substream" ? partitions.parents.map((l) => l.parentName) : [];
  };
  const conditionOf = (name: string, parent: string): string | undefined => {
    const partitions = source.byName.get(name)!.partitions;
    if (partitions.kind !== "substream") return undefined;
    return partitions.parents.find((l) => l.parentName === parent)?.filter?.condition;
  };

  it("every link from workspaces, teams or projects carries that stream's scope filter", () => {
    const scoped: Record<string, string> = { workspaces: "config.get('workspaces')", teams: "config.get('teams')", projects: "config.get('projects')" };
    let links = 0;
    for (const def of source.streams) {
      for (const parent of parentsOf(def.name)) {
        const needle = scoped[parent];
        if (!needle) continue;
        links++;
        expect(conditionOf(def.name, parent), `${def.name} ← ${parent}`).toContain(needle);
      }
    }
    expect(links, "users, teams, projects, tags, tasks, sections, portfolios, goals, ...").toBeGreaterThan(15);
  });

  it("the three streams name their config values in config_must_match", () => {
    const rules = Object.fromEntries(["workspaces", "teams", "projects"].map((n) => [n, source.byName.get(n)!.configMatches]));
    expect(rules).toEqual({
      workspaces: [{ configField: "workspaces", recordFields: [["gid"], ["name"]] }],
      teams: [{ configField: "teams", recordFields: [["gid"]] }],
      projects: [{ configField: "projects", recordFields: [["gid"]] }],
    });
  });
});
