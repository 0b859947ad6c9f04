#!/usr/bin/env node
/**
 * source-asana: the Airbyte protocol entry point.
 *   source-asana spec
 *   source-asana check --config config.json
 *   source-asana discover --config config.json
 *   source-asana read --config config.json --catalog catalog.json [--state state.json]
 * One AirbyteMessage per line on stdout; exit 1 when the command fails.
 *
 * What is Airbyte's here: the arguments, the configured catalog (streams, sync modes, selected
 * columns), the state file, and check's FAILED status for a refused config. The read itself is
 * the driver both CLIs share (sync.ts); the messages are AirbyteWriter's (protocol/airbyte.ts).
 */
import { parseArgs } from "node:util";
import { type StreamSelection, streamInfos } from "../engine/catalog.js";
import { checkConfigMatches, checkStreams } from "../engine/check.js";
import { type StateBlob, parseStateInput } from "../engine/state.js";
import { asConnectorError, configError, failsCheck, isConfigError } from "../errors.js";
import { AirbyteWriter, type AirbyteStream } from "../protocol/airbyte.js";
import { LineOutput, exitWhenReaderCloses } from "../protocol/output.js";
import { secrets } from "../protocol/redact.js";
import { tuneV8 } from "./v8-tuning.js";
import { readJsonFile } from "./inputs.js";
import { type Runtime, createRuntime, loadSpec } from "./runtime.js";
import { type SyncSelection, runSync } from "./sync.js";

const USAGE =
  "usage: source-asana spec | check --config FILE | discover --config FILE | " +
  "read --config FILE --catalog FILE [--state FILE]";

interface Args {
  command: string;
  config?: string;
  catalog?: string;
  state?: string;
  manifest?: string;
}

function parse(argv: string[]): Args {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      catalog: { type: "string" },
      state: { type: "string" },
      manifest: { type: "string" },
      // Accepted (Airbyte's Python entrypoint takes it) and ignored: logs go out as LOG messages regardless.
      debug: { type: "boolean" },
    },
  });
  const command = positionals[0];
  if (!command || positionals.length > 1) throw configError(USAGE);
  return { command, ...values } as Args;
}

function required(value: string | undefined, flag: string, command: string): string {
  if (!value) throw configError(`${command} needs --${flag} FILE (${USAGE})`);
  return value;
}

function toAirbyteStreams(runtime: Runtime): AirbyteStream[] {
  return streamInfos(runtime.source).map((s) => ({
    name: s.name,
    json_schema: s.schema,
    supported_sync_modes: s.syncModes,
    source_defined_primary_key: s.primaryKey,
    is_resumable: s.syncModes.includes("incremental"),
    ...(s.cursorField ? { source_defined_cursor: true, default_cursor_field: s.cursorField } : {}),
  }));
}

interface CatalogSelection extends StreamSelection {
  /** Top-level properties of the configured json_schema (the selected columns), if it lists any. */
  fields: string[] | undefined;
}

/** The configured catalog's streams, in order, as selections. */
function parseCatalog(path: string): CatalogSelection[] {
  const catalog = readJsonFile(path, "catalog");
  const streams = (catalog as { streams?: unknown } | null)?.streams;
  if (!Array.isArray(streams)) throw configError(`The catalog file ${path} must be a ConfiguredAirbyteCatalog with a "streams" list`);
  return streams.map((entry: unknown, i: number) => {
    const e = entry as { stream?: { name?: unknown; json_schema?: { properties?: unknown } }; sync_mode?: unknown } | null;
    const name = e?.stream?.name;
    if (typeof name !== "string" || !name) throw configError(`The catalog's streams[${i}] has no stream.name`);
    const mode = e?.sync_mode;
    if (mode !== "full_refresh" && mode !== "incremental") {
      throw configError(`The catalog's stream ${name} has sync_mode ${JSON.stringify(mode)}; expected "full_refresh" or "incremental"`);
    }
    const properties = e?.stream?.json_schema?.properties;
    const fields =
      properties && typeof properties === "object" && Object.keys(properties).length ? Object.keys(properties) : undefined;
    return { name, syncMode: mode, fields };
  });
}

/** `check`: a config the spec refuses, or credentials the API refuses, is a FAILED status, not an error. */
async function check(args: Args, writer: AirbyteWriter): Promise<number> {
  let runtime: Runtime;
  try {
    runtime = createRuntime(args.manifest, required(args.config, "config", "check"), writer);
  } catch (error) {
    if (isConfigError(error)) {
      await writer.connectionStatus("FAILED", error.message);
      return 0;
    }
    throw error;
  }
  try {
    await checkStreams(runtime.env, runtime.source);
    await checkConfigMatches(runtime.env, runtime.source, runtime.settings.concurrency);
    await writer.connectionStatus("SUCCEEDED");
  } catch (error) {
    if (failsCheck(error)) {
      await writer.connectionStatus("FAILED", error.message);
    } else throw error;
  } finally {
    await runtime.close();
  }
  return 0;
}

/** `read`: the configured catalog and the state file, then the shared sync driver. */
async function read(args: Args, writer: AirbyteWriter): Promise<number> {
  const configPath = required(args.config, "config", "read");
  const catalogPath = required(args.catalog, "catalog", "read");
  const runtime = createRuntime(args.manifest, configPath, writer);
  try {
    const streams = parseCatalog(catalogPath);
    const states = args.state ? parseStateInput(readJsonFile(args.state, "state"), args.state) : new Map<string, StateBlob>();
    const selection: SyncSelection = {
      streams,
      fields: new Map(streams.filter((s) => s.fields).map((s) => [s.name, s.fields!])),
      unknownStream: (name) =>
        configError(`The catalog asks for stream ${name}, which this source does not have; refresh the source schema`),
    };
    return await runSync(runtime, selection, states, writer);
  } finally {
    await runtime.close();
  }
}

async function run(argv: string[], writer: AirbyteWriter): Promise<number> {
  const args = parse(argv);
  switch (args.command) {
    case "spec": {
      const { spec } = loadSpec(args.manifest);
      await writer.spec({ ...spec });
      return 0;
    }
    case "check":
      return check(args, writer);
    case "discover": {
      const runtime = createRuntime(args.manifest, required(args.config, "config", "discover"), writer);
      await runtime.close();
      await writer.catalog(toAirbyteStreams(runtime));
      return 0;
    }
    case "read":
      return read(args, writer);
    default:
      throw configError(`Unknown command ${JSON.stringify(args.command)}. ${USAGE}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  // A reader that stops reading (`| head -1`) ends the command: exit 1, one line on stderr, no stack.
  exitWhenReaderCloses(process.stdout, `source-asana: stdout was closed before the command ended; stopping`);
  const out = new LineOutput(process.stdout, secrets);
  const writer = new AirbyteWriter(out);
  let code: number;
  try {
    code = await run(argv, writer);
  } catch (error) {
    await writer.connectorError(asConnectorError(error, USAGE));
    code = 1;
  }
  await out.flush();
  return code;
}

tuneV8();
const code = await main(process.argv.slice(2));
process.exitCode = code;
