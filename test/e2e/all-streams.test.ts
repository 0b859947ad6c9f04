/**
 * All 15 streams on the medium dataset: every stream equals the simulator's ground truth, every
 * record validates against its schema, and the sync spends exactly the minimal number of requests
 * (each parent page once, no detail GETs, no subtasks request for tasks without subtasks).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsImport from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STREAM_NAMES, type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { type CliResult, catalogFor, patConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { ROOT } from "../helpers/shared.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

let sim: Simulator;
let dir: string;
let config: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, size: "medium" });
  dir = tempDir();
  config = writeJson(dir, "config.json", patConfig(sim.baseUrl, sim.token, { num_workers: 16 }));
});

afterAll(async () => {
  await sim?.close();
});

function validatorFor(stream: string): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(resolve(ROOT, "schemas", `${stream}.json`), "utf8")) as object);
}

describe("a full sync of every stream (medium dataset)", () => {
  let result: CliResult;
  let stats: ReturnType<Simulator["stats"]>;

  beforeAll(async () => {
    sim.resetStats();
    result = await runAirbyte(["read", "--config", config, "--catalog", writeJson(dir, "all.json", catalogFor([...STREAM_NAMES]))]);
    stats = sim.stats();
  }, 180_000);

  it("succeeds", () => {
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it.each([...STREAM_NAMES])("%s equals the ground truth and validates against its schema", (stream) => {
    const actual = recordsOf(result.messages, stream);
    const expected = [...sim.dataset.groundTruth(stream)];
    expect(expected.length).toBeGreaterThan(0);
    const gids = actual.map((r) => String(r.gid));
    expect(new Set(gids).size, "no duplicate gid").toBe(gids.length);
    const expectedByGid = new Map(expected.map((r) => [String(r.gid), r]));
    expect(gids.filter((g) => !expectedByGid.has(g)), "no unexpected gid").toEqual([]);
    expect([...expectedByGid.keys()].filter((g) => !gids.includes(g)), "no missing gid").toEqual([]);
    for (const record of actual) expect(record).toEqual(expectedByGid.get(String(record.gid)));
    const validate = validatorFor(stream);
    const invalid = actual.filter((r) => !validate(r)).slice(0, 3);
    expect(invalid, JSON.stringify(validate.errors)).toEqual([]);
  });

  it.each([...STREAM_NAMES])("%s: list records equal single-object GETs, nested sub-fields included", async (stream) => {
    const resource = stream === "subtasks" ? "tasks" : stream;
    const sample = recordsOf(result.messages, stream).filter((_, i) => i % 97 === 0).slice(0, 8);
    expect(sample.length).toBeGreaterThan(0);
    for (const record of sample) {
      const response = await fetch(`${sim.baseUrl}/${resource}/${String(record.gid)}`, { headers: { Authorization: `Bearer ${sim.token}` } });
      expect(response.status).toBe(200);
      const { data } = (await response.json()) as { data: Record<string, unknown> };
      expect(record, `${stream} ${String(record.gid)}`).toEqual(data);
    }
  });

  it("spends exactly the minimal number of requests", () => {
    const minimal = sim.dataset.minimalRequests();
    console.log(`requests: ${stats.total}, minimal: ${minimal.total}`);
    expect(stats.byStatus["200"]).toBe(stats.total);
    expect(stats.total).toBe(minimal.total);
  });
});

describe("shared parent reads", () => {
  it("reads an unselected parent once for several children", async () => {
    sim.resetStats();
    const result = await runAirbyte([
      "read",
      "--config",
      config,
      "--catalog",
      writeJson(dir, "children.json", catalogFor(["sections", "tasks", "status_updates"])),
    ]);
    expect(result.code).toBe(0);
    expect(recordsOf(result.messages, "projects")).toEqual([]);
    const byRoute = sim.stats().byRoute;
    const minimal = sim.dataset.minimalRequests().byStream;
    expect(byRoute["GET /projects"]).toBe(minimal.projects);
    expect(byRoute["GET /workspaces"]).toBe(1);
    expect(byRoute["GET /tasks"]).toBe(minimal.tasks);
  });

  it("asks only for the selected fields when the catalog narrows a stream's schema", async () => {
    const narrowed = {
      streams: [
        {
          stream: {
            name: "projects",
            json_schema: { type: "object", properties: { gid: { type: "string" }, name: { type: "string" } } },
            supported_sync_modes: ["full_refresh"],
          },
          sync_mode: "full_refresh",
          destination_sync_mode: "overwrite",
        },
      ],
    };
    const result = await runAirbyte(["read", "--config", config, "--catalog", writeJson(dir, "narrow.json", narrowed)]);
    expect(result.code).toBe(0);
    const projects = recordsOf(result.messages, "projects");
    expect(projects.length).toBeGreaterThan(0);
    for (const p of projects) expect(Object.keys(p).sort()).toEqual(["gid", "name"]);
  });
});
