/**
 * Schema loaders: the JSON schema a stream publishes in the catalog. InlineSchemaLoader holds it in
 * the manifest; JsonFileSchemaLoader (the default) reads a file that resolves relative to the
 * manifest, by default ./schemas/<stream name>.json.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { systemError } from "../errors.js";
import type { InlineSchemaLoader, JsonFileSchemaLoader } from "../manifest/components.generated.js";
import { interpolateString } from "../manifest/interpolation.js";
import { type Registry, buildWith, isNode, optionalString, parametersOf, rejectUnread } from "./node.js";

export type JsonSchema = Record<string, unknown>;

/** What a loader needs beyond its component: the stream it describes and the manifest's folder. */
interface LoaderContext {
  streamName: string;
  baseDir: string;
}

const EMPTY_SCHEMA: JsonSchema = { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: {} };
const DEFAULT_FILE = "./schemas/{{ parameters.name }}.json";

function inline(node: InlineSchemaLoader, where: string): JsonSchema {
  rejectUnread(node, "InlineSchemaLoader", where, ["schema"]);
  return isNode(node.schema) ? node.schema : EMPTY_SCHEMA;
}

function jsonFile(node: JsonFileSchemaLoader | undefined, where: string, { streamName, baseDir }: LoaderContext): JsonSchema {
  if (node) rejectUnread(node, "JsonFileSchemaLoader", where, ["file_path"]);
  const template = (node && optionalString(node, "file_path", where)) ?? DEFAULT_FILE;
  const parameters = node ? { ...parametersOf(node), name: parametersOf(node).name ?? streamName } : { name: streamName };
  const relative = interpolateString(template, { parameters, config: {} });
  const file = isAbsolute(relative) ? relative : resolve(baseDir, relative);
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (!isNode(parsed)) throw new Error("not a JSON object");
    return parsed;
  } catch (error) {
    throw systemError(`The schema of stream ${streamName} could not be loaded from ${file}`, String(error));
  }
}

/** `schema_loader` components of a DeclarativeStream. */
export const SCHEMA_LOADERS = {
  InlineSchemaLoader: inline,
  JsonFileSchemaLoader: jsonFile,
} satisfies Registry<LoaderContext, JsonSchema>;

/** The stream's schema; without a schema_loader, the JsonFileSchemaLoader default. */
export function loadSchema(node: object | undefined, where: string, streamName: string, baseDir: string): JsonSchema {
  const context = { streamName, baseDir };
  return node ? buildWith(SCHEMA_LOADERS, node, where, context) : jsonFile(undefined, where, context);
}
