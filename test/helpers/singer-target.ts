/**
 * A minimal Singer JSONL target for tests, run as its own process the way Meltano runs a loader:
 *
 *   tap-asana --config c.json --catalog cat.json | node singer-target.mjs OUT_DIR
 *
 * - reads stdin line by line; every line must be a JSON message with a `type` (any case); the
 *   envelope of each line is checked (singer-envelope.ts) and its problems listed in the summary
 *   (`protocolErrors`, which the test helper turns into a failure);
 * - SCHEMA: records `key_properties` and compiles the schema (ajv); a schema may be replaced;
 * - RECORD: an error before its stream's SCHEMA; validated against the schema; every key property
 *   must be present; buffered, then appended to `OUT_DIR/<stream>.jsonl`;
 * - STATE: flushes the buffered records, then writes the value to stdout (one JSON per line), as
 *   real targets do once the data before it is committed, so `| tail -1` is the final state;
 * - ACTIVATE_VERSION: noted per stream (RECORDs of a stream that had one must carry that version);
 * - at the end, writes `OUT_DIR/_target.json` (schemas, versions, counts, message order per stream).
 * Any violation: a message on stderr and exit code 1. It uses only node builtins, ajv and
 * ajv-formats (and singer-envelope.ts, which does too), so the test suite can transpile the two
 * into standalone ES modules.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsImport from "ajv-formats";
import { singerLineProblem } from "./singer-envelope.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

export interface TargetStreamSummary {
  keyProperties: string[];
  bookmarkProperties: string[] | undefined;
  schemaProperties: string[];
  schemas: number;
  records: number;
  /** ACTIVATE_VERSION versions, in order. */
  versions: number[];
  /** The stream's message types in order, RECORD runs collapsed: ["SCHEMA", "ACTIVATE_VERSION", "RECORD", "ACTIVATE_VERSION"]. */
  sequence: string[];
}

export interface TargetSummary {
  streams: Record<string, TargetStreamSummary>;
  states: number;
  messages: number;
  /** Protocol violations of the lines read, `line N (TYPE): error` each (the first 100). */
  protocolErrors: string[];
}

interface StreamState {
  summary: TargetStreamSummary;
  validate: ValidateFunction;
  buffer: string[];
}

export class TargetError extends Error {}

const MAX_PROTOCOL_ERRORS = 100;

export class SingerTarget {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly streams = new Map<string, StreamState>();
  private states = 0;
  private messages = 0;
  private readonly protocolErrors: string[] = [];

  constructor(
    private readonly dir: string,
    private readonly emitState: (value: unknown) => void,
  ) {
    addFormats(this.ajv);
    mkdirSync(dir, { recursive: true });
  }

  handle(line: string, lineNumber: number): void {
    const problem = singerLineProblem(line, lineNumber);
    if (problem && this.protocolErrors.length < MAX_PROTOCOL_ERRORS) this.protocolErrors.push(problem);
    if (line.trim() === "") return;
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new TargetError(`line ${lineNumber} is not JSON: ${line.slice(0, 200)}`);
    }
    if (!message || typeof message !== "object" || typeof message.type !== "string") {
      throw new TargetError(`line ${lineNumber} is not a Singer message (no "type"): ${line.slice(0, 200)}`);
    }
    this.messages++;
    const type = message.type.toUpperCase();
    switch (type) {
      case "SCHEMA":
        return this.schema(message, lineNumber);
      case "RECORD":
        return this.record(message, lineNumber);
      case "STATE":
        this.flush();
        this.states++;
        if (!("value" in message)) throw new TargetError(`line ${lineNumber}: STATE without "value"`);
        this.emitState(message.value);
        return;
      case "ACTIVATE_VERSION": {
        const stream = this.known(message, lineNumber, type);
        if (!Number.isInteger(message.version)) throw new TargetError(`line ${lineNumber}: ACTIVATE_VERSION without an integer version`);
        stream.summary.versions.push(message.version as number);
        this.note(stream, type);
        return;
      }
      default:
        return; // Unknown types are allowed by the spec.
    }
  }

  private known(message: Record<string, unknown>, lineNumber: number, type: string): StreamState {
    const name = message.stream;
    if (typeof name !== "string") throw new TargetError(`line ${lineNumber}: ${type} without "stream"`);
    const stream = this.streams.get(name);
    if (!stream) throw new TargetError(`line ${lineNumber}: ${type} for stream ${name} before its SCHEMA`);
    return stream;
  }

  private note(stream: StreamState, type: string): void {
    const seq = stream.summary.sequence;
    if (!(type === "RECORD" && seq[seq.length - 1] === "RECORD")) seq.push(type);
  }

  private schema(message: Record<string, unknown>, lineNumber: number): void {
    const { stream: name, schema, key_properties: keys, bookmark_properties: bookmarks } = message;
    if (typeof name !== "string") throw new TargetError(`line ${lineNumber}: SCHEMA without "stream"`);
    if (!schema || typeof schema !== "object") throw new TargetError(`line ${lineNumber}: SCHEMA of ${name} without "schema"`);
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) {
      throw new TargetError(`line ${lineNumber}: SCHEMA of ${name} without a key_properties list`);
    }
    if (bookmarks !== undefined && (!Array.isArray(bookmarks) || !bookmarks.every((k) => typeof k === "string"))) {
      throw new TargetError(`line ${lineNumber}: SCHEMA of ${name} has an invalid bookmark_properties`);
    }
    let validate: ValidateFunction;
    try {
      const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
      void _ignored;
      validate = this.ajv.compile(rest);
    } catch (error) {
      throw new TargetError(`line ${lineNumber}: the schema of ${name} does not compile: ${(error as Error).message}`);
    }
    const existing = this.streams.get(name);
    if (existing) this.flushStream(name, existing);
    const props = (schema as { properties?: Record<string, unknown> }).properties ?? {};
    const summary: TargetStreamSummary = existing?.summary ?? {
      keyProperties: [],
      bookmarkProperties: undefined,
      schemaProperties: [],
      schemas: 0,
      records: 0,
      versions: [],
      sequence: [],
    };
    summary.keyProperties = keys as string[];
    summary.bookmarkProperties = bookmarks as string[] | undefined;
    summary.schemaProperties = Object.keys(props);
    summary.schemas++;
    const state: StreamState = { summary, validate, buffer: existing?.buffer ?? [] };
    this.streams.set(name, state);
    this.note(state, "SCHEMA");
  }

  private record(message: Record<string, unknown>, lineNumber: number): void {
    const stream = this.known(message, lineNumber, "RECORD");
    const record = message.record;
    if (!record || typeof record !== "object" || Array.isArray(record)) throw new TargetError(`line ${lineNumber}: RECORD without an object "record"`);
    if (!stream.validate(record)) {
      throw new TargetError(
        `line ${lineNumber}: a ${String(message.stream)} record does not match its schema: ${this.ajv.errorsText(stream.validate.errors)}`,
      );
    }
    for (const key of stream.summary.keyProperties) {
      const value = (record as Record<string, unknown>)[key];
      if (value === undefined || value === null) throw new TargetError(`line ${lineNumber}: a ${String(message.stream)} record has no key property ${key}`);
    }
    if (message.time_extracted !== undefined && Number.isNaN(Date.parse(String(message.time_extracted)))) {
      throw new TargetError(`line ${lineNumber}: time_extracted ${JSON.stringify(message.time_extracted)} is not a date-time`);
    }
    const versions = stream.summary.versions;
    if (versions.length && message.version !== versions[versions.length - 1]) {
      throw new TargetError(`line ${lineNumber}: a ${String(message.stream)} record has version ${String(message.version)}, not the active ${versions[versions.length - 1]}`);
    }
    stream.summary.records++;
    stream.buffer.push(JSON.stringify(record));
    this.note(stream, "RECORD");
    if (stream.buffer.length >= 500) this.flushStream(String(message.stream), stream);
  }

  private flushStream(name: string, stream: StreamState): void {
    if (!stream.buffer.length) return;
    appendFileSync(join(this.dir, `${name}.jsonl`), `${stream.buffer.join("\n")}\n`);
    stream.buffer = [];
  }

  flush(): void {
    for (const [name, stream] of this.streams) this.flushStream(name, stream);
  }

  finish(): TargetSummary {
    this.flush();
    const summary: TargetSummary = {
      streams: Object.fromEntries([...this.streams].map(([name, s]) => [name, s.summary])),
      states: this.states,
      messages: this.messages,
      protocolErrors: this.protocolErrors,
    };
    writeFileSync(join(this.dir, "_target.json"), JSON.stringify(summary, null, 2));
    return summary;
  }
}

export async function main(argv: string[]): Promise<number> {
  const dir = argv[0];
  if (!dir) {
    process.stderr.write("usage: singer-target OUT_DIR < singer-messages\n");
    return 2;
  }
  const target = new SingerTarget(dir, (value) => process.stdout.write(`${JSON.stringify(value)}\n`));
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) target.handle(line, ++n);
    target.finish();
    return 0;
  } catch (error) {
    process.stderr.write(`singer-target: ${(error as Error).message}\n`);
    // Stop reading: the tap then fails on its next write (EPIPE), as it would with a real target.
    lines.close();
    process.stdin.destroy();
    try {
      target.finish();
    } catch {
      // The summary is best effort once the input was rejected.
    }
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
