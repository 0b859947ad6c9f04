/**
 * The image and registry checks that CAT runs on a built image (test_image_labels,
 * test_image_environment_variables) and Airbyte's image rules (PROTOCOL-NOTES §5.2), done
 * statically: there is no Docker engine here. Plus metadata.yaml (§5.1), and a run of the CLI
 * from a copy of the image's file layout (what the Dockerfile copies, nothing else), started from
 * another working directory, as the platform does (/source).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogStreams, projectFile, readProjectJson, readProjectYaml } from "../helpers/acceptance.js";
import type { AirbyteMessage } from "../helpers/cli.js";
import { runAirbyte, tempDir } from "../helpers/cli.js";
import { copies, execForm, lastInstruction, parseDockerfile, stageValues } from "../helpers/dockerfile.js";
import { assertProtocolLines, stdoutLines } from "../helpers/protocol.js";
import { type JsonObject, isObject } from "../helpers/schema-rules.js";
import { checkOutput } from "../helpers/secrets.js";
import { ROOT } from "../helpers/shared.js";

const AIRBYTE_ASANA_DEFINITION_ID = "d0243522-dccf-4978-8ba0-37ed47a0bdbf";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const stages = parseDockerfile(readFileSync(projectFile("Dockerfile"), "utf8"));
const runtime = stages.at(-1)!;
const build = stages.length > 1 ? stages[0]! : undefined;
const metadata = readProjectYaml("metadata.yaml") as JsonObject;
const data = (isObject(metadata.data) ? metadata.data : {}) as JsonObject;
const packageJson = readProjectJson("package.json") as JsonObject;

function entrypoint(): string[] {
  const instruction = lastInstruction(runtime, "ENTRYPOINT");
  if (!instruction) throw new Error("the final stage has no ENTRYPOINT");
  const words = execForm(instruction.args);
  if (!words) throw new Error(`ENTRYPOINT must use the exec (JSON array) form, not: ${instruction.args}`);
  return words;
}

function runArgs(stage: typeof runtime, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

describe("Dockerfile (Airbyte image rules, checked statically)", () => {
  it("is a multi-stage build: node:20-slim builds (npm ci, npm run build, npm prune --omit=dev), node:20-slim runs", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build!.from).toBe("node:20-slim");
    expect(runtime.from).toBe("node:20-slim");
    const buildRuns = runArgs(build!, "RUN").join(" && ");
    expect(buildRuns).toMatch(/\bnpm ci\b/);
    expect(buildRuns).toMatch(/\bnpm run build\b/);
    expect(buildRuns).toMatch(/\bnpm prune --omit=dev\b/);
    expect(buildRuns.indexOf("npm ci")).toBeLessThan(buildRuns.indexOf("npm run build"));
    expect(buildRuns.indexOf("npm run build")).toBeLessThan(buildRuns.indexOf("npm prune"));
  });

  it("ENV AIRBYTE_ENTRYPOINT equals the exec-form ENTRYPOINT joined by spaces, with absolute paths", () => {
    const words = entrypoint();
    const env = stageValues(runtime, "ENV").get("AIRBYTE_ENTRYPOINT");
    expect(env, "ENV AIRBYTE_ENTRYPOINT in the final stage").toBeDefined();
    expect(env).toBe(words.join(" "));
    for (const word of words.filter((w) => w.includes("/"))) expect(word.startsWith("/"), `${word} is absolute`).toBe(true);
    expect(words.some((w) => w.startsWith("/airbyte/integration_code/") && w.endsWith(".js")), "the script under /airbyte/integration_code").toBe(true);
  });

  it("labels io.airbyte.name / io.airbyte.version equal metadata.yaml's dockerRepository / dockerImageTag", () => {
    const labels = stageValues(runtime, "LABEL");
    expect(labels.get("io.airbyte.name")).toBe(data.dockerRepository);
    expect(labels.get("io.airbyte.version")).toBe(String(data.dockerImageTag));
  });

  it("runs as the non-root user airbyte, which owns a writable /airbyte", () => {
    expect(lastInstruction(runtime, "USER")?.args).toBe("airbyte");
    const runs = runArgs(runtime, "RUN").join(" && ");
    expect(runs, "a RUN creates /airbyte").toMatch(/mkdir\s+(-p\s+)?\/airbyte(\/\S*)?(\s|$)/);
    expect(runs, "a RUN gives /airbyte to airbyte").toMatch(/chown\s+(-R\s+)?airbyte(:airbyte)?\s+\/airbyte(\s|$)/);
    expect(runs, "the user airbyte is created").toMatch(/useradd[^&]*\bairbyte\b|usermod[^&]*--login airbyte|adduser[^&]*\bairbyte\b/);
    // USER comes after the root-only steps.
    const order = runtime.instructions.map((i) => i.keyword);
    expect(order.lastIndexOf("USER")).toBeGreaterThan(order.lastIndexOf("RUN"));
  });

  it("copies dist, manifest.yaml, schemas, node_modules and package.json (\"type\": \"module\") to /airbyte/integration_code", () => {
    const destinations = copies(runtime)
      .filter((c) => c.from === build!.name)
      .map((c) => (c.destination.startsWith("/") ? c.destination : `${c.workdir}/${c.destination.replace(/^\.\//, "")}`).replace(/\/$/, ""));
    for (const name of ["dist", "manifest.yaml", "schemas", "node_modules", "package.json"]) {
      expect(destinations, name).toContain(`/airbyte/integration_code/${name}`);
    }
  });

  it("the image's file layout runs spec and discover from another working directory (as the platform does from /source)", async () => {
    // Rebuild the runtime stage's files from the local build: what COPY --from=build brings.
    const image = tempDir("source-asana-image-");
    const buildDir = lastInstruction(build!, "WORKDIR")?.args ?? "/";
    for (const copy of copies(runtime).filter((c) => c.from === (build!.name ?? "0"))) {
      for (const source of copy.sources) {
        const local = resolve(ROOT, relative(buildDir, source));
        expect(existsSync(local), `${source} exists after the build (${local})`).toBe(true);
        const destination = join(image, copy.destination.startsWith("/") ? copy.destination : join(copy.workdir, copy.destination));
        mkdirSync(dirname(destination), { recursive: true });
        if (source.endsWith("node_modules")) symlinkSync(local, destination, "dir");
        else cpSync(local, destination, { recursive: true });
      }
    }
    const script = join(image, entrypoint().find((w) => w.endsWith(".js"))!);
    const cwd = join(image, "source");
    mkdirSync(cwd);
    const config = projectFile("integration_tests/sample_config.json");
    const run = (args: string[]): AirbyteMessage[] => {
      const result = spawnSync(process.execPath, [script, ...args], { cwd, encoding: "utf8", timeout: 30_000 });
      expect(result.status, `${args[0]}: ${result.stderr}`).toBe(0);
      // Checked as runAirbyte checks its outputs: for secrets, and every line against the protocol.
      checkOutput(`stdout of the image's ${args.join(" ")}`, result.stdout);
      checkOutput(`stderr of the image's ${args.join(" ")}`, result.stderr);
      assertProtocolLines(`stdout of the image's ${args.join(" ")}`, "airbyte", stdoutLines(result.stdout));
      return result.stdout.split("\n").filter((l) => l).map((l) => JSON.parse(l) as AirbyteMessage);
    };
    // The same output as the CLI run from the repository.
    const spec = run(["spec"]);
    expect(spec.map((m) => m.type)).toEqual(["SPEC"]);
    expect(spec[0]!.spec).toEqual((await runAirbyte(["spec"], 30_000)).messages[0]!.spec);
    const streams = catalogStreams(run(["discover", "--config", config]));
    expect(streams).toEqual(catalogStreams((await runAirbyte(["discover", "--config", config], 30_000)).messages));
  });

  it("the compiled runtime imports only production dependencies (npm prune --omit=dev removes the rest)", () => {
    const dependencies = Object.keys((packageJson.dependencies ?? {}) as JsonObject);
    const missing = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".js")) {
          const text = readFileSync(path, "utf8");
          for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"'./][^"']*)["']/g)) {
            const spec = m[1]!;
            if (spec.startsWith("node:")) continue;
            const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
            if (!dependencies.includes(name)) missing.add(`${name} (${relative(ROOT, path)})`);
          }
        }
      }
    };
    walk(projectFile("dist/src"));
    expect([...missing]).toEqual([]);
  });

  it(".dockerignore keeps node_modules, dist and .git out and lets every build input in", () => {
    const patterns = readFileSync(projectFile(".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    for (const required of ["node_modules", "dist", ".git"]) expect(patterns, required).toContain(required);
    const ignored = (path: string): boolean =>
      patterns.some((p) => {
        if (p.startsWith("!")) return false;
        const regex = new RegExp(`^${p.replace(/^\*\*\//, "(.*/)?").replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/.*)?$`);
        return regex.test(path);
      });
    const inputs = copies(build!).filter((c) => c.from === undefined).flatMap((c) => c.sources);
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) {
      expect(ignored(input), `${input} is excluded by .dockerignore`).toBe(false);
      expect(existsSync(projectFile(input)), `${input} exists`).toBe(true);
    }
    // Every folder tsconfig compiles is copied into the build stage.
    const tsconfig = readProjectJson("tsconfig.json") as { include?: string[] };
    for (const folder of tsconfig.include ?? []) {
      if (!existsSync(projectFile(folder)) || folder === "bench") continue;
      expect(inputs.some((i) => i.replace(/^\.\//, "").replace(/\/$/, "") === folder), `tsconfig include ${folder} is copied`).toBe(true);
    }
  });
});

describe("metadata.yaml", () => {
  it("has metadataSpecVersion 1.0 and every required data key", () => {
    expect(metadata.metadataSpecVersion).toBe("1.0");
    for (const key of [
      "name", "definitionId", "connectorType", "dockerRepository", "dockerImageTag", "license", "documentationUrl",
      "githubIssueLabel", "connectorSubtype", "releaseStage",
    ]) {
      expect(data[key], `data.${key}`).toBeTruthy();
    }
    expect(data.name).toBe("Asana");
    expect(data.connectorType).toBe("source");
    expect(["api", "database", "datalake", "file", "custom", "message_queue", "unknown", "vectorstore"]).toContain(data.connectorSubtype);
    expect(["alpha", "beta", "generally_available", "custom"]).toContain(data.releaseStage);
    expect(["community", "certified", "enterprise", "archived"]).toContain(data.supportLevel);
    expect(String(data.releaseDate)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("every breaking change names a released version, a message, a deadline and discovered streams, and the changelog has it", async () => {
    const releases = isObject(data.releases) ? data.releases : {};
    const changes = isObject(releases.breakingChanges) ? releases.breakingChanges : {};
    const changelog = readFileSync(projectFile("CHANGELOG.md"), "utf8");
    const result = await runAirbyte(["discover", "--config", projectFile("integration_tests/sample_config.json")], 30_000);
    const names = catalogStreams(result.messages).map((s) => s.name);
    for (const [version, change] of Object.entries(changes)) {
      expect(version, "a semantic version").toMatch(/^\d+\.\d+\.\d+$/);
      expect(isObject(change) && typeof change.message === "string" && change.message.length > 20, `${version}.message`).toBe(true);
      const entry = change as { upgradeDeadline?: unknown; scopedImpact?: unknown };
      expect(String(entry.upgradeDeadline), `${version}.upgradeDeadline`).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      for (const scope of Array.isArray(entry.scopedImpact) ? (entry.scopedImpact as Array<{ scopeType: string; impactedScopes: string[] }>) : []) {
        expect(scope.scopeType).toBe("stream");
        for (const stream of scope.impactedScopes) expect(names, `${version} names stream ${stream}`).toContain(stream);
      }
      expect(changelog, `CHANGELOG.md has a section for ${version}`).toContain(`## ${version}`);
      const [major, minor, patch] = version.split(".").map(Number);
      const [cMajor, cMinor, cPatch] = String(packageJson.version).split(".").map(Number);
      expect(major! * 1e6 + minor! * 1e3 + patch!, `${version} is not newer than the current version`).toBeLessThanOrEqual(cMajor! * 1e6 + cMinor! * 1e3 + cPatch!);
    }
  });

  it("definitionId is a UUID of its own, not Airbyte's source-asana id", () => {
    expect(String(data.definitionId)).toMatch(UUID);
    expect(String(data.definitionId).toLowerCase()).not.toBe(AIRBYTE_ASANA_DEFINITION_ID);
    expect(String(data.dockerRepository).startsWith("airbyte/"), "not Airbyte's repository").toBe(false);
  });

  it("dockerImageTag equals package.json's version", () => {
    expect(String(data.dockerImageTag)).toBe(packageJson.version);
  });

  it("license matches package.json, tags name the language and the CDK", () => {
    expect(data.license).toBe(packageJson.license);
    expect(data.tags).toEqual(expect.arrayContaining(["language:typescript", "cdk:low-code"]));
  });

  it("allowedHosts is non-empty and covers the API host of the spec's default base_url", () => {
    const hosts = (isObject(data.allowedHosts) && Array.isArray(data.allowedHosts.hosts) ? data.allowedHosts.hosts : []).map(String);
    expect(hosts.length).toBeGreaterThan(0);
    const spec = readProjectJson("integration_tests/spec.json") as { connectionSpecification: { properties: { base_url?: { default?: string } } } };
    const defaultUrl = spec.connectionSpecification.properties.base_url?.default;
    if (defaultUrl) expect(hosts).toContain(new URL(defaultUrl).host);
  });

  it("suggestedStreams are non-empty and all discovered", async () => {
    const suggested = isObject(data.suggestedStreams) && Array.isArray(data.suggestedStreams.streams) ? data.suggestedStreams.streams.map(String) : [];
    expect(suggested.length).toBeGreaterThan(0);
    const result = await runAirbyte(["discover", "--config", projectFile("integration_tests/sample_config.json")], 30_000);
    const names = catalogStreams(result.messages).map((s) => s.name);
    for (const s of suggested) expect(names, s).toContain(s);
  });

  it("documentationUrl is the repository's docs/airbyte.md, and that page exists", () => {
    const url = new URL(String(data.documentationUrl));
    expect(url.protocol).toBe("https:");
    const path = /\/blob\/[^/]+\/(.+)$/.exec(url.pathname)?.[1];
    expect(path, "a GitHub blob URL into this repository").toBe("docs/airbyte.md");
    expect(existsSync(projectFile(path!))).toBe(true);
  });
});
