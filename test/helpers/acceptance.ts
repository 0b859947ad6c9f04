/**
 * Shared pieces of the CAT-equivalent acceptance suite (test/acceptance/): the committed files in
 * integration_tests/, configs pointed at the live simulator, record validation the way CAT does
 * it, and the catalog snapshot used for backward compatibility.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsImport from "ajv-formats";
import { parse } from "yaml";
import { type AirbyteMessage, writeJson } from "./cli.js";
import { type Json, type JsonObject, fieldFacts, isObject, typesOf } from "./schema-rules.js";
import { ROOT } from "./shared.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv, formats?: string[]) => Ajv;

export function projectFile(relative: string): string {
  return resolve(ROOT, relative);
}

export function readProjectJson(relative: string): Json {
  return JSON.parse(readFileSync(projectFile(relative), "utf8")) as Json;
}

export function readProjectYaml(relative: string): Json {
  return parse(readFileSync(projectFile(relative), "utf8")) as Json;
}

/** `UPDATE_CAT_SNAPSHOTS=1` rewrites integration_tests/spec.json and catalog_snapshot.json (after the backward-compatibility checks). */
export const UPDATE_SNAPSHOTS = process.env.UPDATE_CAT_SNAPSHOTS === "1";

/** JSON with two-space indents, short arrays of scalars (or of such arrays) on one line. */
export function prettyJson(value: unknown, indent = ""): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const flat = value.every((v) => v === null || typeof v !== "object" || (Array.isArray(v) && v.every((w) => w === null || typeof w !== "object")));
    if (flat) return JSON.stringify(value).replace(/,/g, ", ");
    return `[\n${value.map((v) => `${inner}${prettyJson(v, inner)}`).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (!entries.length) return "{}";
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

export function writeProjectJson(relative: string, value: unknown): void {
  writeFileSync(projectFile(relative), `${prettyJson(value)}\n`);
}

// --- acceptance-test-config.yml ----------------------------------------------------------------

export interface EmptyStream {
  name: string;
  bypass_reason: string;
}

export interface AcceptanceConfig {
  connector_image: string;
  test_strictness_level: string;
  acceptance_tests: Record<string, { tests?: JsonObject[]; bypass_reason?: string }>;
}

export function acceptanceConfig(): AcceptanceConfig {
  const raw = readProjectYaml("integration_tests/acceptance-test-config.yml");
  if (!isObject(raw) || !isObject(raw.acceptance_tests)) throw new Error("acceptance-test-config.yml has no acceptance_tests");
  return raw as unknown as AcceptanceConfig;
}

/** basic_read's empty_streams (streams allowed to have no records, each with a reason). */
export function emptyStreams(): EmptyStream[] {
  const tests = acceptanceConfig().acceptance_tests.basic_read?.tests ?? [];
  return tests.flatMap((t) => (Array.isArray(t.empty_streams) ? (t.empty_streams as unknown as EmptyStream[]) : []));
}

// --- configs for the live simulator ------------------------------------------------------------

interface SimulatorAccess {
  baseUrl: string;
  token: string;
  serviceAccountToken: string;
}

/**
 * A committed config file with base_url pointed at the live simulator. For sample_config.json
 * the token is the simulator's; invalid_config.json keeps its (rejected) token.
 */
/**
 * The sample config's credentials with the simulator's token of the same kind (the sample config
 * uses a service account: only it reads every stream, the audit log included).
 */
function withSimulatorToken(credentials: JsonObject, sim: SimulatorAccess): JsonObject {
  if ("service_account_token" in credentials) return { ...credentials, service_account_token: sim.serviceAccountToken };
  return { ...credentials, personal_access_token: sim.token };
}

export function simulatorConfig(
  sim: SimulatorAccess,
  file: "sample_config.json" | "invalid_config.json",
  dir: string,
  extra: Record<string, unknown> = {},
): string {
  const config = readProjectJson(`integration_tests/${file}`) as JsonObject;
  const credentials = config.credentials as JsonObject;
  const rewritten: JsonObject = {
    ...config,
    base_url: sim.baseUrl,
    ...(file === "sample_config.json" ? { credentials: withSimulatorToken(credentials, sim) } : {}),
    ...(extra as JsonObject),
  };
  return writeJson(dir, `live-${file}`, rewritten);
}

// --- messages ---------------------------------------------------------------------------------

export function messagesOfType(messages: AirbyteMessage[], type: string): AirbyteMessage[] {
  return messages.filter((m) => m.type === type);
}

export function traceErrors(messages: AirbyteMessage[]): AirbyteMessage[] {
  return messages.filter((m) => m.type === "TRACE" && m.trace?.type === "ERROR");
}

export interface DiscoveredStream {
  name: string;
  json_schema: JsonObject;
  supported_sync_modes: string[];
  source_defined_primary_key?: string[][];
  default_cursor_field?: string[];
  source_defined_cursor?: boolean;
  is_resumable?: boolean;
}

export function catalogStreams(messages: AirbyteMessage[]): DiscoveredStream[] {
  const catalogs = messagesOfType(messages, "CATALOG");
  if (catalogs.length !== 1) throw new Error(`expected one CATALOG message, got ${catalogs.length}`);
  return catalogs[0]!.catalog!.streams as unknown as DiscoveredStream[];
}

/** The schema node at a field path (through `properties`), or undefined. */
export function schemaAt(schema: JsonObject, path: string[]): JsonObject | undefined {
  let node: JsonObject | undefined = schema;
  for (const part of path) {
    const props: Json | undefined = node?.properties;
    const next: Json | undefined = isObject(props) ? props[part] : undefined;
    node = isObject(next) ? next : undefined;
  }
  return node;
}

// --- record validation (CAT's verify_records_schema) -----------------------------------------

/** CAT's timestamp check for `format: date-time`: `YYYY-M-D(T| )H:M:S…` that also parses. */
const CAT_TIMESTAMP = /^\d{4}-\d?\d-\d?\d(\s|T)\d?\d:\d?\d:\d?\d(\.\d+)?.*$/;

export function isCatDateTime(value: string): boolean {
  return CAT_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value.replace(" ", "T")));
}

/**
 * A validator per stream: draft-07, strict integers, CAT's date-time check, and the other draft-07
 * formats CAT checks (date, time, email, hostname, ipv4, ipv6).
 */
export function recordValidators(streams: DiscoveredStream[]): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv, ["date", "time", "email", "hostname", "ipv4", "ipv6"]);
  ajv.addFormat("date-time", { type: "string", validate: isCatDateTime });
  return new Map(streams.map((s) => [s.name, ajv.compile(s.json_schema)]));
}

/**
 * JSON pointers of number literals written with a fraction or exponent (`1.0`, `1e3`). JSON.parse
 * turns `1.0` into `1`, which passes as an integer; CAT's Python validator would refuse it.
 */
export function nonIntegerLiterals(text: string): string[] {
  const found: string[] = [];
  const number = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
  const word = /true|false|null/y;
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++;
  };
  const readString = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (pointer: string): void => {
    skipSpace();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      skipSpace();
      if (text[i] === close) {
        i++;
        return;
      }
      for (let index = 0; i < text.length; index++) {
        skipSpace();
        let key = String(index);
        if (c === "{") {
          key = readString();
          skipSpace();
          i++; // ':'
        }
        value(`${pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`);
        skipSpace();
        if (text[i++] === close) return;
      }
      return;
    }
    if (c === '"') {
      readString();
      return;
    }
    number.lastIndex = i;
    const m = number.exec(text);
    if (m) {
      if (m[1] !== undefined || m[2] !== undefined) found.push(pointer);
      i = number.lastIndex;
      return;
    }
    word.lastIndex = i;
    if (!word.exec(text)) throw new Error(`not JSON at ${i}: ${text.slice(i, i + 20)}`);
    i = word.lastIndex;
  };
  value("");
  return found;
}

/** The schema types at a JSON pointer inside a record (through properties and items). */
function typesAtPointer(schema: JsonObject, pointer: string): string[] | undefined {
  let node: Json | undefined = schema;
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(node)) return undefined;
    const props: Json | undefined = node.properties;
    if (isObject(props) && part in props) node = props[part];
    else if (/^\d+$/.test(part) && isObject(node.items)) node = node.items;
    else return undefined;
  }
  return isObject(node) ? typesOf(node) : undefined;
}

/**
 * CAT's record checks for one RECORD line: schema conformance (ajv errors), integers written as
 * `1.0`, and at least one top-level field in common with the schema.
 */
export function recordProblems(line: string, data: Record<string, unknown>, schema: JsonObject, validate: ValidateFunction): string[] {
  const problems: string[] = [];
  if (!validate(data)) {
    for (const e of validate.errors ?? []) problems.push(`${e.instancePath || "(record)"} ${e.message ?? "is invalid"}`);
  }
  for (const pointer of nonIntegerLiterals(line).filter((p) => p.startsWith("/record/data/"))) {
    const inRecord = pointer.slice("/record/data".length);
    const types = typesAtPointer(schema, inRecord);
    if (types?.includes("integer") && !types.includes("number")) problems.push(`${inRecord} is an integer field written as a float`);
  }
  const props = isObject(schema.properties) ? Object.keys(schema.properties) : [];
  if (!Object.keys(data).some((k) => props.includes(k))) problems.push("the record shares no field with its schema");
  return problems;
}

// --- catalog snapshot (backward compatibility of discover) ----------------------------------

export interface StreamSnapshot {
  name: string;
  primary_key: string[][];
  cursor_field: string[] | null;
  sync_modes: string[];
  /** Field path → declared types (null = any type). */
  fields: Record<string, string[] | null>;
}

export interface CatalogSnapshot {
  $comment: string;
  streams: StreamSnapshot[];
}

export function catalogSnapshot(streams: DiscoveredStream[]): CatalogSnapshot {
  return {
    $comment:
      "Discover output of the last release, for backward-compatibility checks (test/acceptance/discovery.test.ts). " +
      "Regenerate with UPDATE_CAT_SNAPSHOTS=1 only for an intended, backward-compatible change.",
    streams: streams.map((s) => {
      const fields: Record<string, string[] | null> = {};
      for (const [path, facts] of fieldFacts(s.json_schema)) if (path) fields[path] = facts.types ?? null;
      return {
        name: s.name,
        primary_key: s.source_defined_primary_key ?? [],
        cursor_field: s.default_cursor_field ?? null,
        sync_modes: [...s.supported_sync_modes],
        fields,
      };
    }),
  };
}

/** Breaking changes of discover against the snapshot: stream removed, key/cursor changed, sync mode dropped, field removed or narrowed. */
export function catalogBreakingChanges(before: CatalogSnapshot, after: CatalogSnapshot): string[] {
  const found: string[] = [];
  const now = new Map(after.streams.map((s) => [s.name, s]));
  for (const was of before.streams) {
    const is = now.get(was.name);
    if (!is) {
      found.push(`stream ${was.name} was removed`);
      continue;
    }
    if (JSON.stringify(was.primary_key) !== JSON.stringify(is.primary_key)) {
      found.push(`${was.name}: primary key changed from ${JSON.stringify(was.primary_key)} to ${JSON.stringify(is.primary_key)}`);
    }
    if (was.cursor_field && JSON.stringify(was.cursor_field) !== JSON.stringify(is.cursor_field)) {
      found.push(`${was.name}: cursor field changed from ${JSON.stringify(was.cursor_field)} to ${JSON.stringify(is.cursor_field)}`);
    }
    for (const mode of was.sync_modes) if (!is.sync_modes.includes(mode)) found.push(`${was.name}: sync mode ${mode} dropped`);
    for (const [path, types] of Object.entries(was.fields)) {
      if (!(path in is.fields)) {
        found.push(`${was.name}.${path} was removed`);
        continue;
      }
      const newTypes = is.fields[path];
      if (types && newTypes) {
        const lost = types.filter((t) => !newTypes.includes(t) && !(t === "integer" && newTypes.includes("number")));
        if (lost.length) found.push(`${was.name}.${path}: type narrowed from ${JSON.stringify(types)} to ${JSON.stringify(newTypes)}`);
      }
    }
  }
  return found;
}
