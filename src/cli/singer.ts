#!/usr/bin/env node
/**
 * tap-asana: the Singer entry point. Same runtime, engine and sync driver (sync.ts) as
 * source-asana (the Airbyte entry point); only the arguments, the catalog (protocol/singer-catalog.ts),
 * the state's bookmarks and the writer (protocol/singer.ts) differ.
 *   tap-asana --config config.json --discover > catalog.json
 *   tap-asana --config config.json [--catalog catalog.json] [--state state.json] | target-...
 *   tap-asana --about [--format json|markdown]
 *   tap-asana --version | --help
 * Only Singer messages on stdout (one JSON per line; --discover prints one catalog object); logs
 * and errors on stderr as `LEVEL message`; exit 1 when the tap fails.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { isNode } from "../declarative/node.js";
import { streamNameOf } from "../declarative/source.js";
import { streamInfos } from "../engine/catalog.js";
import { type StateBlob, parseStateInput } from "../engine/state.js";
import { asConnectorError, configError } from "../errors.js";
import { PACKAGE_ROOT } from "../manifest/load.js";
import { LogLines } from "../protocol/log-lines.js";
import { LineOutput, exitWhenReaderCloses } from "../protocol/output.js";
import { secrets } from "../protocol/redact.js";
import { SingerWriter, parseBookmarks } from "../protocol/singer.js";
import { aboutMarkdown, aboutOf } from "../protocol/singer-about.js";
import { parseSingerCatalog, selectStreams, toSingerCatalog } from "../protocol/singer-catalog.js";
import { tuneV8 } from "./v8-tuning.js";
import { coerceToSchema, readConfigs, readJsonFile } from "./inputs.js";
import { type LoadedSpec, createRuntime, loadSpec } from "./runtime.js";
import { type SyncSelection, runSync } from "./sync.js";

const NAME = "tap-asana";

const USAGE =
  `usage: ${NAME} --config FILE --discover | --config FILE [--catalog FILE] [--state FILE] | ` +
  `--about [--format json|markdown] | --version | --help`;

const HELP = `${USAGE}

Singer tap for Asana (the same connector as the Airbyte source source-asana).

  --config FILE        config JSON (repeatable: later files override earlier top-level keys)
  --discover           print the catalog (one JSON object) and exit
  --catalog FILE       the catalog with selection metadata (also --properties FILE, legacy)
  --state FILE         the state to resume from: the value of the last STATE message
  --about              print name, version, capabilities, settings and streams
  --format FORMAT      with --about: json or markdown (default: markdown)
  --version            print the version
  --help               print this help

Singer messages go to stdout, logs to stderr. Without --catalog every stream is synced.`;

interface Args {
  config: string[];
  discover: boolean;
  catalog: string | undefined;
  state: string | undefined;
  about: boolean;
  format: "json" | "markdown";
  version: boolean;
  help: boolean;
  manifest: string | undefined;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      config: { type: "string", multiple: true },
      discover: { type: "boolean" },
      catalog: { type: "string" },
      properties: { type: "string" },
      state: { type: "string" },
      about: { type: "boolean" },
      format: { type: "string" },
      version: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      manifest: { type: "string" },
    },
  });
  if (values.catalog && values.properties) throw configError(`Give --catalog or --properties, not both. ${USAGE}`);
  if (values.format !== undefined) {
    if (!values.about) throw configError(`--format goes with --about. ${USAGE}`);
    if (values.format !== "json" && values.format !== "markdown") {
      throw configError(`--format must be json or markdown, not ${JSON.stringify(values.format)}`);
    }
  }
  return {
    config: values.config ?? [],
    discover: values.discover ?? false,
    catalog: values.catalog ?? values.properties,
    state: values.state,
    about: values.about ?? false,
    format: values.format === "json" ? "json" : "markdown",
    version: values.version ?? false,
    help: values.help ?? false,
    manifest: values.manifest,
  };
}

function packageInfo(): { version: string; description: string } {
  try {
    const pkg = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, "package.json"), "utf8")) as { version?: unknown; description?: unknown };
    return {
      version: typeof pkg.version === "string" ? pkg.version : "unknown",
      description: typeof pkg.description === "string" ? pkg.description : "",
    };
  } catch {
    return { version: "unknown", description: "" };
  }
}

/**
 * The manifest, and the merged config files with Meltano's string-typed numbers and booleans
 * converted per its spec.
 */
function readConfig(args: Args, mode: string): { loaded: LoadedSpec; config: Record<string, unknown> } {
  if (!args.config.length) throw configError(`${NAME} ${mode} needs --config FILE. ${USAGE}`);
  const loaded = loadSpec(args.manifest);
  return { loaded, config: coerceToSchema(readConfigs(args.config), loaded.spec.connectionSpecification) };
}

async function about(args: Args, out: LineOutput): Promise<void> {
  const { manifest, spec } = loadSpec(args.manifest);
  const rawStreams = Array.isArray(manifest.root.streams) ? manifest.root.streams : [];
  const streams = rawStreams.filter(isNode).map((node, i) => streamNameOf(node, `streams[${i}]`));
  const { version, description } = packageInfo();
  const info = aboutOf({ name: NAME, description, version, spec: spec.connectionSpecification, streams });
  await out.writeLine(args.format === "json" ? JSON.stringify(info, null, 2) : aboutMarkdown(info));
}

async function discover(args: Args, out: LineOutput, logs: LogLines): Promise<number> {
  const { loaded, config } = readConfig(args, "--discover");
  const runtime = createRuntime(loaded, config, new SingerWriter(out, logs));
  await runtime.close();
  await out.writeLine(JSON.stringify(toSingerCatalog(streamInfos(runtime.source)), null, 2));
  return 0;
}

/**
 * The tap's state file: the value of the last STATE message (`{"bookmarks": ...}`), the STATE
 * messages a target echoed (`{"type": "STATE", "value": ...}`, as JSON lines or a list: the last
 * one wins, as each holds every bookmark), or an Airbyte state (engine/state.ts: the same
 * per-stream blobs).
 */
function readTapState(path: string): Map<string, StateBlob> {
  const document = readJsonFile(path, "state");
  const messages = Array.isArray(document) ? document : [document];
  const singer = messages.filter((m) => isNode(m) && m.type === "STATE" && "value" in m) as Array<{ value: unknown }>;
  if (singer.length) return parseBookmarks(singer.at(-1)!.value, path);
  const airbyte = (Array.isArray(document) && document.length > 0) || (isNode(document) && (document.type === "STATE" || isNode(document.stream)));
  return airbyte ? parseStateInput(document, path) : parseBookmarks(document, path);
}

async function sync(args: Args, out: LineOutput, logs: LogLines): Promise<number> {
  const { loaded, config } = readConfig(args, "sync");
  // Bookmarks are the per-stream state blobs the engine writes, the same as in Airbyte mode; the
  // ones of streams not synced now are carried over into every STATE.
  const bookmarks = args.state ? readTapState(args.state) : new Map<string, StateBlob>();
  const writer = new SingerWriter(out, logs, { bookmarks });
  const runtime = createRuntime(loaded, config, writer);
  try {
    const catalog = args.catalog ? parseSingerCatalog(readJsonFile(args.catalog, "catalog"), args.catalog) : undefined;
    const { streams, unknown, plans, fields } = selectStreams(streamInfos(runtime.source), catalog);
    writer.setStreams(plans);
    if (!streams.length && !unknown.length) await logs.log("WARN", "The catalog selects no stream: nothing to sync");
    const selection: SyncSelection = {
      streams,
      unknown,
      fields,
      unknownStream: (name) =>
        configError(`The catalog selects stream ${name}, which this tap does not have; run --discover again to refresh the catalog`),
    };
    return await runSync(runtime, selection, bookmarks, writer);
  } finally {
    await runtime.close();
  }
}

async function run(argv: string[], out: LineOutput, logs: LogLines): Promise<number> {
  const args = parse(argv);
  if (args.help) {
    await out.writeLine(HELP);
    return 0;
  }
  if (args.version) {
    await out.writeLine(`${NAME} ${packageInfo().version}`);
    return 0;
  }
  if (args.about) {
    await about(args, out);
    return 0;
  }
  return args.discover ? discover(args, out, logs) : sync(args, out, logs);
}

export async function main(argv: string[]): Promise<number> {
  // A reader that stops reading (`| head -1`) ends the command: exit 1, one line on stderr, no stack.
  exitWhenReaderCloses(process.stdout, `tap-asana: stdout was closed before the command ended; stopping`);
  exitWhenReaderCloses(process.stderr, undefined);
  const out = new LineOutput(process.stdout, secrets);
  const logs = new LogLines(new LineOutput(process.stderr, secrets));
  let code: number;
  try {
    code = await run(argv, out, logs);
  } catch (error) {
    await logs.connectorError(asConnectorError(error, USAGE));
    code = 1;
  }
  await out.flush();
  await logs.flush();
  return code;
}

tuneV8();
const code = await main(process.argv.slice(2));
process.exitCode = code;
