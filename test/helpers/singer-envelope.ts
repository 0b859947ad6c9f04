/**
 * The envelopes of Singer messages (singer-io/getting-started SPEC.md v0.3.0, plus the Meltano SDK's
 * ACTIVATE_VERSION and BATCH extensions): each type's required keys and their types. What a RECORD
 * carries is checked against its SCHEMA elsewhere (the test target); this is only the envelope.
 *
 * Self-contained (node builtins, ajv and ajv-formats only): the test target (singer-target.ts) is
 * transpiled together with it into a standalone script, and checks every line it reads with it.
 */
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsImport from "ajv-formats";

const addFormats = addFormatsImport as unknown as (ajv: Ajv, formats?: string[]) => Ajv;

export const SINGER_MESSAGE_TYPES = ["SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION", "BATCH"] as const;
export type SingerMessageType = (typeof SINGER_MESSAGE_TYPES)[number];

const STREAM = { type: "string", minLength: 1 } as const;
const STRINGS = { type: "array", items: { type: "string" } } as const;

/** Per type: the required keys and the types of the known ones. Other keys are allowed. */
const ENVELOPES: Record<SingerMessageType, Record<string, unknown>> = {
  SCHEMA: {
    required: ["stream", "schema", "key_properties"],
    properties: { stream: STREAM, schema: { type: "object" }, key_properties: STRINGS, bookmark_properties: STRINGS },
  },
  RECORD: {
    required: ["stream", "record"],
    // The SDK requires a timezone-aware time_extracted: ajv-formats' date-time requires the offset.
    properties: { stream: STREAM, record: { type: "object" }, time_extracted: { type: "string", format: "date-time" }, version: { type: "integer" } },
  },
  STATE: { required: ["value"], properties: { value: true } },
  ACTIVATE_VERSION: { required: ["stream", "version"], properties: { stream: STREAM, version: { type: "integer" } } },
  BATCH: {
    required: ["stream", "encoding", "manifest"],
    properties: {
      stream: STREAM,
      encoding: {
        type: "object",
        required: ["format"],
        properties: { format: { type: "string" }, compression: { type: ["string", "null"] } },
      },
      manifest: STRINGS,
    },
  },
};

interface Compiled {
  ajv: Ajv;
  validators: Map<SingerMessageType, ValidateFunction>;
}

/** Compiled once per process (a test worker, or the target). */
let compiled: Compiled | undefined;

function validators(): Compiled {
  if (compiled) return compiled;
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv, ["date-time"]);
  const map = new Map<SingerMessageType, ValidateFunction>();
  for (const type of SINGER_MESSAGE_TYPES) map.set(type, ajv.compile({ type: "object", ...ENVELOPES[type] }));
  compiled = { ajv, validators: map };
  return compiled;
}

/** What is wrong with one message's envelope: its type (as sent, or "?") and the error; undefined when valid. */
export function singerEnvelopeProblem(message: unknown): { type: string; error: string } | undefined {
  if (message === null || typeof message !== "object" || Array.isArray(message)) {
    return { type: "?", error: "a Singer message is a JSON object" };
  }
  const raw = (message as Record<string, unknown>).type;
  if (typeof raw !== "string") return { type: "?", error: 'message must have a string "type"' };
  // Types are case-insensitive in the spec; a tap sends only the known ones.
  const type = raw.toUpperCase();
  if (!(SINGER_MESSAGE_TYPES as readonly string[]).includes(type)) {
    return { type: raw, error: `message/type must be one of ${SINGER_MESSAGE_TYPES.join(", ")}` };
  }
  const { ajv, validators: map } = validators();
  const validate = map.get(type as SingerMessageType)!;
  if (validate(message)) return undefined;
  return { type: raw, error: ajv.errorsText(validate.errors, { dataVar: "message" }) };
}

/** The problem of one stdout line (`line N (TYPE): error`), undefined when it is a valid Singer message. */
export function singerLineProblem(line: string, lineNumber: number): string | undefined {
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch {
    return `line ${lineNumber} (not JSON): ${JSON.stringify(line.slice(0, 120))}`;
  }
  const problem = singerEnvelopeProblem(message);
  return problem && `line ${lineNumber} (${problem.type}): ${problem.error}`;
}
