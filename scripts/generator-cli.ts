/**
 * What the generators in scripts/ (gen-schemas.ts, gen-manifest-types.ts) share, so they behave
 * alike: the project root, argument parsing with their exit codes (2 for a usage error), the
 * json-schema-to-typescript options that make their TypeScript output deterministic, and the
 * entry point that runs `main` when the file is executed rather than imported.
 */
import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Options } from "json-schema-to-typescript";

/** The nearest directory above `from` holding package.json and tsconfig.json (works from scripts/ and dist/scripts/). */
export function findProjectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "tsconfig.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`scripts: no project root (package.json + tsconfig.json) above ${from}`);
    dir = parent;
  }
}

/** `path` relative to the project root when it is inside it, for messages. */
export function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.startsWith("..") ? path : rel;
}

type Options_ = NonNullable<ParseArgsConfig["options"]>;
type Values<O extends Options_> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>["values"];

/**
 * Parses a generator's flags (plus --help). Returns the values, or the exit code when there is
 * nothing more to do: 0 after printing the usage, 2 after a usage error.
 */
export function parseGeneratorArgs<O extends Options_>(
  name: string,
  argv: string[],
  options: O,
  usage: string,
  log: (line: string) => void,
): Values<O> | number {
  let values: Values<O> & { help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h", default: false } },
      strict: true,
      allowPositionals: false,
    }).values as Values<O> & { help?: boolean };
  } catch (error) {
    console.error(`${name}: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    log(usage);
    return 0;
  }
  return values;
}

/** json-schema-to-typescript options for deterministic, formatted output (add the banner). */
export const TYPESCRIPT_OPTIONS: Omit<Partial<Options>, "bannerComment"> = {
  additionalProperties: true,
  declareExternallyReferenced: true,
  enableConstEnums: false,
  format: true,
  strictIndexSignatures: false,
  unknownAny: true,
  unreachableDefinitions: false,
  style: { printWidth: 120, singleQuote: false, trailingComma: "all", endOfLine: "lf" },
};

/** Runs `main` with the process's arguments when `moduleUrl` is the executed script; sets the exit code. */
export function runWhenExecuted(moduleUrl: string, name: string, main: (argv: string[]) => Promise<number>): void {
  if (process.argv[1] === undefined || moduleUrl !== pathToFileURL(resolve(process.argv[1])).href) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exitCode = 2;
    },
  );
}
