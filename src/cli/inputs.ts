/**
 * The connector's inputs: JSON files, the config validated against the spec, the configured
 * catalog. Every problem is a config_error that names the file and the field.
 */
import { readFileSync, statSync } from "node:fs";
import type { ErrorObject } from "ajv";
import { type ParseError, parse as parseJsonc } from "jsonc-parser";
import { nestsDeeperThan } from "../declarative/json-text.js";
import { ConnectorError, configError } from "../errors.js";
import { propertySchema } from "../json-schema.js";
import { configValidator } from "./config-validator.js";

/** The largest input files accepted, in bytes, and the deepest nesting (arrays and objects). */
export const INPUT_LIMITS = {
  maxBytes: { config: 10 * 1024 * 1024, catalog: 50 * 1024 * 1024, state: 50 * 1024 * 1024 } as Record<string, number>,
  maxDepth: 1000,
};

const MB = 1024 * 1024;

/**
 * A JSON input file, parsed. Too large a file or too deep a nesting is refused before parsing
 * (deep nesting would overflow the stack of the code that walks it). A state file may also be
 * JSON lines (the STATE messages a sync printed): then the result is the list of its lines' values.
 */
export function readJsonFile(path: string, what: string): unknown {
  const maxBytes = INPUT_LIMITS.maxBytes[what] ?? INPUT_LIMITS.maxBytes.config!;
  const tooLarge = (): ConnectorError =>
    configError(`The ${what} file ${path} is larger than ${maxBytes / MB} MB: that is not a ${what} this connector can use`);
  let text: string;
  try {
    // A pipe or a device reports size 0: its length is checked once read.
    const stats = statSync(path);
    if (stats.isFile() && stats.size > maxBytes) throw tooLarge();
    // A byte-order mark (Windows editors write one) is not part of the JSON.
    text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  } catch (error) {
    if (error instanceof ConnectorError) throw error;
    const code = (error as { code?: string }).code;
    throw configError(`The ${what} file ${path} could not be read${code ? ` (${code})` : ""}`);
  }
  if (text.length > maxBytes) throw tooLarge();
  if (nestsDeeperThan(text, INPUT_LIMITS.maxDepth)) {
    throw configError(`The ${what} file ${path} is nested deeper than ${INPUT_LIMITS.maxDepth} levels: that is not a ${what} this connector can use`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const lines = what === "state" ? jsonLines(text) : undefined;
    if (lines) return lines;
    throw configError(`The ${what} file ${path} is not valid JSON: ${jsonProblem(text, error)}`);
  }
}

/** The values of a JSON-lines text (two or more non-blank lines, each one JSON value), or undefined. */
function jsonLines(text: string): unknown[] | undefined {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length < 2) return undefined;
  const values: unknown[] = [];
  for (const line of lines) {
    try {
      values.push(JSON.parse(line) as unknown);
    } catch {
      return undefined;
    }
  }
  return values;
}

/**
 * What is wrong with a JSON text, with its line and column, but without the text itself: V8 quotes
 * the surroundings of an unexpected token ("Unexpected token 's', ..."token": abc-12"... is not
 * valid JSON"), and in a config file those surroundings are often a secret.
 */
export function jsonProblem(text: string, error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const what = raw
    .replace(/,\s*(\.\.\.)?".*$/s, "")
    .replace(/\s*in JSON at position \d+.*$/s, "")
    .replace(/^Unexpected token '(.)'$/, (_m, c: string) => `unexpected character ${JSON.stringify(c)}`);
  const at = jsonErrorOffset(text);
  if (at === undefined) return what;
  const before = text.slice(0, at);
  const line = before.split("\n").length;
  const column = at - before.lastIndexOf("\n");
  return `${what} at line ${line}, column ${column}`;
}

/**
 * The offset of the first character where `text` stops being JSON, from jsonc-parser (strict:
 * no comments, no trailing commas), or undefined when it finds nothing (JSON.parse is stricter on
 * a few points, e.g. control characters, and then the message has no position).
 */
function jsonErrorOffset(text: string): number | undefined {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  return first === undefined ? undefined : Math.min(first.offset, text.length);
}

export function readConfig(path: string): Record<string, unknown> {
  const config = readJsonFile(path, "config");
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    throw configError(`The config file ${path} must hold a JSON object`);
  }
  return config as Record<string, unknown>;
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: "an object",
    array: "a list",
    string: "a string",
    integer: "an integer",
    number: "a number",
    boolean: "true or false",
    null: "null",
  };
  return type
    .split(",")
    .map((t) => names[t] ?? t)
    .join(" or ");
}

function describe(error: ErrorObject): string {
  const field = error.instancePath ? error.instancePath.slice(1).replace(/\//g, ".") : "(config)";
  switch (error.keyword) {
    case "required":
      return `${field === "(config)" ? "" : `${field}.`}${String(error.params.missingProperty)} is required`;
    case "additionalProperties":
      return `${field}: unknown property ${String(error.params.additionalProperty)}`;
    case "const":
      return `${field} must be ${JSON.stringify(error.params.allowedValue)}`;
    case "enum":
      return `${field} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "minLength":
      return Number(error.params.limit) === 1 ? `${field} must not be empty` : `${field} must have at least ${String(error.params.limit)} characters`;
    case "type":
      return `${field} must be ${article(String(error.params.type))}`;
    case "format": {
      const hint = (error.parentSchema as { pattern_descriptor?: unknown } | undefined)?.pattern_descriptor;
      return `${field} must be a valid ${String(error.params.format)}${typeof hint === "string" ? ` (${hint})` : ""}`;
    }
    case "pattern": {
      const hint = (error.parentSchema as { pattern_descriptor?: unknown } | undefined)?.pattern_descriptor;
      return typeof hint === "string" ? `${field} must be ${hint}` : `${field} does not have the expected form`;
    }
    default:
      return `${field} ${error.message ?? "is invalid"}`;
  }
}

/**
 * oneOf variants report every variant's mismatch. A variant whose discriminator (`const`) does not
 * match is not what the user meant: drop its errors. When no variant's discriminator matches,
 * report the discriminator alone, with the allowed values.
 */
function relevantErrors(errors: ErrorObject[]): ErrorObject[] {
  const branchOf = (e: ErrorObject): string | undefined => /^(.*\/oneOf\/\d+)\//.exec(e.schemaPath)?.[1];
  const mismatched = new Set(errors.filter((e) => e.keyword === "const").map(branchOf).filter((b) => b !== undefined));
  const kept = errors.filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf" && !mismatched.has(branchOf(e) ?? ""));
  if (kept.length) return kept;
  const consts = errors.filter((e) => e.keyword === "const");
  if (!consts.length) return errors;
  const allowed = Array.from(new Set(consts.map((e) => JSON.stringify(e.params.allowedValue))));
  const first = consts[0]!;
  return [{ ...first, keyword: "enum", params: { allowedValues: allowed.map((a) => JSON.parse(a) as unknown) } }];
}

/**
 * Validates the config against the spec's schema. Keys starting with `_` are test hooks
 * (src/engine/settings.ts, TEST_HOOKS), not settings: they are skipped. `specChecked`: the spec
 * is known to be a valid JSON Schema (the build checked the package's own): see configValidator.
 */
export function validateConfig(config: Record<string, unknown>, spec: Record<string, unknown>, specChecked = false): void {
  const validate = configValidator(spec, specChecked);
  const visible = Object.fromEntries(Object.entries(config).filter(([k]) => !k.startsWith("_")));
  if (validate(visible)) return;
  const errors = relevantErrors(validate.errors ?? []);
  // A value that misses the field's pattern also misses its format: say it once.
  const patterned = new Set(errors.filter((e) => e.keyword === "pattern").map((e) => e.instancePath));
  const kept = errors.filter((e) => !(e.keyword === "format" && patterned.has(e.instancePath)));
  const messages = Array.from(new Set(kept.map(describe)));
  throw configError(`The config is invalid: ${messages.join("; ")}`);
}

/**
 * Several config files, later files overriding earlier ones key by key at the top level (as the
 * Meltano SDK merges repeated `--config` flags).
 */
export function readConfigs(paths: readonly string[]): Record<string, unknown> {
  return Object.assign({}, ...paths.map(readConfig)) as Record<string, unknown>;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function matches(node: Record<string, unknown>, value: string): boolean {
  if (typeof node.pattern !== "string") return false;
  try {
    return new RegExp(node.pattern, "u").test(value);
  } catch {
    return true;
  }
}

/**
 * Strings where the spec wants a number, an integer or a boolean, converted when they read as one;
 * date-times that miss the spec's pattern (`2024-01-01`, `2024-01-01T00:00:00+00:00`) rewritten
 * as UTC `YYYY-MM-DDTHH:MM:SSZ`. Meltano passes settings without a numeric `kind` (it has none
 * for decimals), and any setting set from an environment variable, as strings; its
 * `date_iso8601` values come as Python isoformat().
 */
export function coerceToSchema(config: Record<string, unknown>, schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const node = propertySchema(schema, key);
    const types = node ? [node.type].flat().map(String) : [];
    if (node && value && typeof value === "object" && !Array.isArray(value)) {
      out[key] = coerceToSchema(value as Record<string, unknown>, node);
    } else if (typeof value === "string" && value.trim() !== "" && (types.includes("number") || types.includes("integer"))) {
      const n = Number(value);
      out[key] = Number.isFinite(n) && (types.includes("number") || Number.isInteger(n)) ? n : value;
    } else if (typeof value === "string" && node?.format === "date-time" && !matches(node, value) && ISO_DATE.test(value.trim())) {
      const time = Date.parse(value.trim().length === 10 ? `${value.trim()}T00:00:00Z` : value.trim());
      out[key] = Number.isNaN(time) ? value : new Date(time).toISOString().replace(/\.000Z$/, "Z");
    } else if (typeof value === "string" && types.includes("boolean") && /^(true|false)$/i.test(value)) {
      out[key] = value.toLowerCase() === "true";
    } else {
      out[key] = value;
    }
  }
  return out;
}
