/**
 * Protocol checks of CLI outputs. Every helper that runs a CLI (cli.ts, singer.ts, and the test
 * target for piped taps) passes its stdout lines through `assertProtocolLines`, next to the secret
 * scan (secrets.ts), so every test that runs a CLI is also a protocol test:
 * - Airbyte: each line is an `AirbyteMessage` of ../shared/airbyte/airbyte_protocol.yaml, compiled
 *   with ajv in strict mode, plus the payload its `type` names (a RECORD has `record`, a TRACE ERROR
 *   has `trace.error`, ...). Without ../shared this check is skipped with a note.
 * - Singer: each line is a SCHEMA, RECORD, STATE, ACTIVATE_VERSION or BATCH envelope
 *   (singer-envelope.ts); it needs no reference file and always runs.
 * The validators are compiled once per test worker.
 */
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsImport from "ajv-formats";
import { loadSharedYaml, skipNote } from "./shared.js";
import { singerLineProblem } from "./singer-envelope.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

export type Protocol = "airbyte" | "singer";

const PROTOCOL_FILE = "airbyte/airbyte_protocol.yaml";
const KEY = "airbyte_protocol.yaml";

/** The payload field each AirbyteMessage type carries (the envelope lists them all as optional). */
const PAYLOADS: Record<string, string> = {
  RECORD: "record",
  STATE: "state",
  LOG: "log",
  SPEC: "spec",
  CONNECTION_STATUS: "connectionStatus",
  CATALOG: "catalog",
  TRACE: "trace",
  CONTROL: "control",
  DESTINATION_CATALOG: "destination_catalog",
};

/** The same for AirbyteTraceMessage types. */
const TRACE_PAYLOADS: Record<string, string> = {
  ERROR: "error",
  ESTIMATE: "estimate",
  STREAM_STATUS: "stream_status",
  ANALYTICS: "analytics",
};

function requiredWhen(typeKey: string, map: Record<string, string>): Array<Record<string, unknown>> {
  return Object.entries(map).map(([type, payload]) => ({
    if: { type: "object", required: [typeKey], properties: { [typeKey]: { const: type } } },
    then: { type: "object", required: [payload], properties: { [payload]: true } },
  }));
}

interface AirbyteValidator {
  ajv: Ajv;
  validate: ValidateFunction;
}

/** The last validation's errors as text, without the `must match "then" schema` echoes of the if/then rules. */
function errorText(validator: AirbyteValidator): string {
  const errors = (validator.validate.errors ?? []).filter((e) => e.keyword !== "if");
  return validator.ajv.errorsText(errors, { dataVar: "message" });
}

let cached: AirbyteValidator | null | undefined;

function compileAirbyte(): AirbyteValidator | null {
  if (cached !== undefined) return cached;
  const protocol = loadSharedYaml(PROTOCOL_FILE);
  if (!protocol) return (cached = null);
  // Strict mode holds once the file's two annotation keywords are declared.
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  ajv.addKeyword("version");
  ajv.addKeyword("existingJavaType");
  const { $id: _id, ...schema } = protocol;
  void _id;
  ajv.addSchema(schema, KEY);
  const validate = ajv.compile({
    allOf: [
      { $ref: `${KEY}#/definitions/AirbyteMessage` },
      ...requiredWhen("type", PAYLOADS),
      {
        if: { type: "object", required: ["type", "trace"], properties: { type: { const: "TRACE" }, trace: true } },
        then: { type: "object", properties: { trace: { allOf: requiredWhen("type", TRACE_PAYLOADS) } } },
      },
    ],
  });
  cached = { ajv, validate };
  return cached;
}

/** A validator for AirbyteMessage, or null when ../shared is absent. */
export function airbyteMessageValidator(): ValidateFunction | null {
  return compileAirbyte()?.validate ?? null;
}

/** The validation errors of each invalid message, empty when all are valid. */
export function invalidMessages(messages: unknown[]): string[] {
  const validator = compileAirbyte();
  if (!validator) return [];
  const problems: string[] = [];
  for (const m of messages) {
    if (!validator.validate(m)) problems.push(`${JSON.stringify(m).slice(0, 200)} → ${errorText(validator)}`);
  }
  return problems;
}

function airbyteLineProblem(validator: AirbyteValidator, line: string, lineNumber: number): string | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return `line ${lineNumber} (not JSON): ${JSON.stringify(line.slice(0, 120))}`;
  }
  // Read before validating: `validate` is a type guard, so `message` would narrow to never after it.
  const type = message !== null && typeof message === "object" && "type" in message ? String(message.type) : "?";
  if (validator.validate(message)) return undefined;
  return `line ${lineNumber} (${type}): ${errorText(validator)}`;
}

let skipNoted = false;

/**
 * The protocol violations among `lines` (numbered from 1, as written), one `line N (TYPE): error`
 * each; empty when all are valid, or for Airbyte when ../shared is absent.
 */
export function protocolViolations(protocol: Protocol, lines: readonly string[]): string[] {
  let check: (line: string, lineNumber: number) => string | undefined;
  if (protocol === "singer") check = singerLineProblem;
  else {
    const validator = compileAirbyte();
    if (!validator) {
      if (!skipNoted) console.warn(skipNote(PROTOCOL_FILE));
      skipNoted = true;
      return [];
    }
    check = (line, n) => airbyteLineProblem(validator, line, n);
  }
  const problems: string[] = [];
  lines.forEach((line, i) => {
    const problem = check(line, i + 1);
    if (problem) problems.push(problem);
  });
  return problems;
}

const SHOWN = 10;

/** Throws when `problems` is not empty; `what` names the output. */
export function assertNoViolations(what: string, protocol: Protocol, problems: readonly string[]): void {
  if (!problems.length) return;
  const more = problems.length > SHOWN ? `\n  ... and ${problems.length - SHOWN} more` : "";
  const name = protocol === "airbyte" ? "Airbyte" : "Singer";
  throw new Error(`${what} breaks the ${name} protocol on ${problems.length} line(s):\n  ${problems.slice(0, SHOWN).join("\n  ")}${more}`);
}

/** Checks every line of a CLI's stdout against its protocol; throws naming each bad line. */
export function assertProtocolLines(what: string, protocol: Protocol, lines: readonly string[]): void {
  assertNoViolations(what, protocol, protocolViolations(protocol, lines));
}

/** The complete lines of a stdout (a trailing newline ends the last one; it is no empty line). */
export function stdoutLines(stdout: string): string[] {
  if (stdout === "") return [];
  const lines = stdout.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Whether tap-asana with these arguments prints Singer messages (a sync), not a catalog, help, about or version text. */
export function tapPrintsMessages(args: readonly string[]): boolean {
  return !args.some((a) => a === "--discover" || a === "--about" || a === "--help" || a === "-h" || a === "--version");
}
