/**
 * A DeclarativeStream's `transformations`, with Airbyte's semantics: applied in order to every
 * record the selector keeps (after its record filter), before the primary key is read.
 *
 * AddFields: each field's `value` is a template rendered with the record, the config and the
 * partition (`stream_partition`, `stream_slice`), then cast like Airbyte's literal evaluation
 * (`"12"` becomes 12); with a `value_type`, a cast to another type keeps the rendered text (so a
 * numeric id stays a string under `value_type: string`). The value is set at `path`, creating the
 * objects on the way. With a `condition` (a template that sees `value` and `path` besides the
 * record), a field is added only where the condition holds.
 */
import { systemError } from "../errors.js";
import type { AddFields, AddedFieldDefinition, ValueType } from "../manifest/components.generated.js";
import { type InterpolationContext, assertTemplate, interpolateBoolean, literalEval, render } from "../manifest/interpolation.js";
import { type Registry, asComponent, buildWith, isNode, rejectUnread } from "./node.js";
import type { ApiRecord } from "./record-selector.js";

/** One transformation: changes a record in place. */
export type RecordTransformation = (record: ApiRecord, context: InterpolationContext) => void;

interface AddedField {
  path: string[];
  value: string;
  valueType: ValueType | undefined;
}

const VALUE_TYPES: readonly ValueType[] = ["string", "number", "integer", "boolean"];

function addedField(raw: unknown, where: string): AddedField {
  if (!isNode(raw)) throw systemError(`Manifest: ${where} must be an AddedFieldDefinition`);
  const node: AddedFieldDefinition = asComponent(raw, "AddedFieldDefinition", where);
  rejectUnread(node, "AddedFieldDefinition", where, ["path", "value", "value_type"]);
  const path: unknown = node.path;
  if (!Array.isArray(path) || path.length === 0 || !path.every((p): p is string => typeof p === "string" && p !== "")) {
    throw systemError(`Manifest: ${where}.path must be a non-empty list of field names`);
  }
  const value: unknown = node.value;
  if (typeof value !== "string") throw systemError(`Manifest: ${where}.value must be a string (a template)`);
  assertTemplate(value);
  const valueType: unknown = node.value_type;
  if (valueType !== undefined && valueType !== null && !VALUE_TYPES.includes(valueType as ValueType)) {
    throw systemError(`Manifest: ${where}.value_type must be one of ${VALUE_TYPES.join(", ")}`);
  }
  return { path, value, valueType: (valueType ?? undefined) as ValueType | undefined };
}

/** Whether a literal-evaluated value has the Python type `valueType` names. */
function hasType(value: unknown, text: string, valueType: ValueType): boolean {
  switch (valueType) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "integer":
      return typeof value === "number" && /^-?\d+$/.test(text.trim());
    case "number":
      return typeof value === "number" && !/^-?\d+$/.test(text.trim());
  }
}

/** The rendered value, cast like Airbyte's InterpolatedString with `valid_types`. */
export function castValue(text: string, valueType: ValueType | undefined): unknown {
  const evaluated = literalEval(text);
  if (valueType === undefined) return evaluated;
  return hasType(evaluated, text, valueType) ? evaluated : text;
}

function setAt(record: ApiRecord, path: readonly string[], value: unknown): void {
  let node = record;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (!next || typeof next !== "object" || Array.isArray(next)) node[segment] = {};
    node = node[segment] as ApiRecord;
  }
  node[path[path.length - 1]!] = value;
}

function addFields(node: AddFields, where: string): RecordTransformation {
  rejectUnread(node, "AddFields", where, ["fields", "condition"]);
  const raw: unknown = node.fields;
  if (!Array.isArray(raw) || raw.length === 0) throw systemError(`Manifest: ${where}.fields must be a non-empty list`);
  const fields = raw.map((f, i) => addedField(f, `${where}.fields[${i}]`));
  const condition: unknown = node.condition ?? "";
  if (typeof condition !== "string") throw systemError(`Manifest: ${where}.condition must be a string (a template)`);
  if (condition !== "") assertTemplate(condition);
  return (record, context) => {
    const scope = { ...context, record };
    for (const field of fields) {
      const value = castValue(render(field.value, scope), field.valueType);
      if (condition !== "" && !interpolateBoolean(condition, { ...scope, value, path: field.path })) continue;
      setAt(record, field.path, value);
    }
  };
}

/** `transformations` components of a DeclarativeStream. */
export const TRANSFORMATIONS = {
  AddFields: addFields,
} satisfies Registry<undefined, RecordTransformation>;

/** The stream's transformations, in order (none when the key is absent). */
export function buildTransformations(raw: unknown, where: string): RecordTransformation[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw systemError(`Manifest: ${where} must be a list`);
  return raw.map((node, i) => {
    if (!isNode(node)) throw systemError(`Manifest: ${where}[${i}] must be a component (an object)`);
    return buildWith(TRANSFORMATIONS, node, `${where}[${i}]`, undefined);
  });
}

/** Applies `transformations` to each record, in order. */
export function transformRecords(records: ApiRecord[], transformations: readonly RecordTransformation[], context: InterpolationContext): ApiRecord[] {
  if (transformations.length === 0) return records;
  for (const record of records) for (const transform of transformations) transform(record, context);
  return records;
}
