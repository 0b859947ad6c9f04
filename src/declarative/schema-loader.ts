/** InlineSchemaLoader and JsonFileSchemaLoader (files resolve relative to the manifest). */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { systemError } from "../errors.js";
import { interpolateString } from "../manifest/interpolation.js";
import { type ManifestNode, isNode, nodeType, optionalString, parametersOf, unsupported } from "./node.js";

export type JsonSchema = Record<string, unknown>;

const EMPTY_SCHEMA: JsonSchema = { $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: {} };

export function loadSchema(node: ManifestNode | undefined, where: string, streamName: string, baseDir: string): JsonSchema {
  const type = node ? nodeType(node) : "JsonFileSchemaLoader";
  if (node && type === "InlineSchemaLoader") {
    return isNode(node.schema) ? node.schema : EMPTY_SCHEMA;
  }
  if (type !== "JsonFileSchemaLoader") return unsupported(node!, where, ["InlineSchemaLoader", "JsonFileSchemaLoader"]);
  const template = (node && optionalString(node, "file_path", where)) ?? "./schemas/{{ parameters.name }}.json";
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
