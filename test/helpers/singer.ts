/**
 * Runs the built Singer tap (dist/src/cli/singer.js) alone, or piped into the test target
 * (singer-target.ts) as two processes joined by an OS pipe, as `tap | target` in a shell or
 * `meltano run` does. Every run is bounded by a timeout that kills both processes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { assertNoViolations, assertProtocolLines, stdoutLines, tapPrintsMessages } from "./protocol.js";
import { checkOutput } from "./secrets.js";
import { ROOT } from "./shared.js";
import type { TargetSummary } from "./singer-target.js";

export const TAP_BIN = resolve(ROOT, "dist/src/cli/singer.js");

let targetFile: string | undefined;

/** The modules the test target consists of: itself and the envelope check it imports. */
const TARGET_MODULES = ["singer-target", "singer-envelope"] as const;

/**
 * The test target as a standalone ES module. It is transpiled from singer-target.ts (and the
 * singer-envelope.ts it imports) into .vitest-tmp/ under the project root (git-ignored), so `ajv`
 * resolves from node_modules and the files are ES modules ("type": "module").
 * (Node 20 cannot run TypeScript, and test/ is not part of the tsc build.)
 */
export function targetScript(): string {
  if (targetFile && existsSync(targetFile)) return targetFile;
  const outputs = TARGET_MODULES.map((name) => {
    const source = readFileSync(resolve(ROOT, `test/helpers/${name}.ts`), "utf8");
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: `${name}.ts`,
    });
    return { name, outputText };
  });
  const hash = createHash("sha256");
  for (const { outputText } of outputs) hash.update(outputText);
  const root = resolve(ROOT, ".vitest-tmp");
  mkdirSync(root, { recursive: true });
  // Named by content: test files running in parallel share it, and an edit makes a new one.
  const dir = join(root, `singer-target-${hash.digest("hex").slice(0, 12)}`);
  const file = join(dir, "singer-target.js");
  if (!existsSync(file)) {
    const tmp = `${dir}.${process.pid}.tmp`;
    mkdirSync(tmp, { recursive: true });
    for (const { name, outputText } of outputs) writeFileSync(join(tmp, `${name}.js`), outputText);
    try {
      renameSync(tmp, dir);
    } catch (error) {
      // Another test file wrote the same directory first.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(file)) throw error;
    }
  }
  targetFile = file;
  return file;
}

export interface TapResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess, which: "stdout" | "stderr"): () => string {
  let text = "";
  child[which]?.setEncoding("utf8").on("data", (d: string) => (text += d));
  return () => text;
}

function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise(code ?? (signal ? 128 : -1)));
  });
}

/** Runs `node dist/src/cli/singer.js ...args`, bounded by `timeoutMs`. */
export async function runTap(args: string[], timeoutMs = 60_000): Promise<TapResult> {
  const child = spawn(process.execPath, [TAP_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const stdout = collect(child, "stdout");
  const stderr = collect(child, "stderr");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const code = await exitOf(child);
    // Every output of the tap is a leak test too (helpers/secrets.ts).
    checkOutput(`stdout of tap-asana ${args.join(" ")}`, stdout());
    checkOutput(`stderr of tap-asana ${args.join(" ")}`, stderr());
    // ... and a protocol test (helpers/protocol.ts), when it prints messages (a sync).
    if (tapPrintsMessages(args)) assertProtocolLines(`stdout of tap-asana ${args.join(" ")}`, "singer", stdoutLines(stdout()));
    return { code, stdout: stdout(), stderr: stderr() };
  } finally {
    clearTimeout(timer);
  }
}

export interface PipeResult {
  tap: { code: number; stderr: string };
  target: { code: number; stderr: string };
  /** The STATE values the target echoed, in order (the last is what `| tail -1` keeps). */
  states: unknown[];
  summary: TargetSummary;
  timedOut: boolean;
}

/** `tap-asana ...tapArgs | singer-target outDir`, through an OS pipe between the two processes. */
export async function runTapToTarget(tapArgs: string[], outDir: string, timeoutMs = 120_000): Promise<PipeResult> {
  const tap = spawn(process.execPath, [TAP_BIN, ...tapArgs], { stdio: ["ignore", "pipe", "pipe"] });
  const tapStderr = collect(tap, "stderr");
  // The target gets the tap's stdout pipe itself (not a copy through this process).
  const target = spawn(process.execPath, [targetScript(), outDir], { stdio: [tap.stdout!, "pipe", "pipe"] });
  tap.stdout!.destroy();
  const targetStdout = collect(target, "stdout");
  const targetStderr = collect(target, "stderr");
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    tap.kill("SIGKILL");
    target.kill("SIGKILL");
  }, timeoutMs);
  try {
    const [tapCode, targetCode] = await Promise.all([exitOf(tap), exitOf(target)]);
    // The tap's stdout went to the target: what the target stored and echoed is checked instead.
    checkOutput(`stderr of tap-asana ${tapArgs.join(" ")}`, tapStderr());
    checkOutput("stdout of the target", targetStdout());
    for (const file of existsSync(outDir) ? readdirSync(outDir) : []) {
      checkOutput(`the target's ${file}`, readFileSync(join(outDir, file), "utf8"));
    }
    // The target checked every line it read against the Singer protocol (singer-envelope.ts).
    const summary = readSummary(outDir);
    assertNoViolations(`stdout of tap-asana ${tapArgs.join(" ")} (as the target read it)`, "singer", summary.protocolErrors);
    const states = targetStdout()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as unknown);
    return {
      tap: { code: tapCode, stderr: tapStderr() },
      target: { code: targetCode, stderr: targetStderr() },
      states,
      summary,
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The target's `_target.json` (an empty summary when it wrote none). */
function readSummary(outDir: string): TargetSummary {
  const summaryFile = join(outDir, "_target.json");
  return existsSync(summaryFile)
    ? (JSON.parse(readFileSync(summaryFile, "utf8")) as TargetSummary)
    : { streams: {}, states: 0, messages: 0, protocolErrors: [] };
}

/** The records the target wrote for `stream` (none when it wrote no file). */
export function targetRecords(outDir: string, stream: string): Array<Record<string, unknown>> {
  const file = join(outDir, `${stream}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
