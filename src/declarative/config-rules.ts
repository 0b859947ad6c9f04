/**
 * Spec.config_normalization_rules.validations: PredicateValidator and DpathValidator with
 * ValidateAdheresToSchema. A value that does not adhere to its base schema is a config_error whose
 * message is the base schema's `description` (or `title`), so the manifest words the advice.
 */
import { Ajv } from "ajv";
import { configError, systemError } from "../errors.js";
import { interpolate } from "../manifest/interpolation.js";
import { type ManifestNode, isNode, nodeType, unsupported } from "./node.js";

function baseSchemaOf(strategy: ManifestNode, where: string, config: Record<string, unknown>): Record<string, unknown> {
  if (nodeType(strategy) !== "ValidateAdheresToSchema") unsupported(strategy, where, ["ValidateAdheresToSchema"]);
  const raw = strategy.base_schema;
  const schema = typeof raw === "string" ? interpolate(raw, { config }) : raw;
  let parsed: unknown = schema;
  if (typeof schema === "string") {
    try {
      parsed = JSON.parse(schema) as unknown;
    } catch (error) {
      throw systemError(`Manifest: ${where}.base_schema is not valid JSON`, String(error));
    }
  }
  if (!isNode(parsed)) throw systemError(`Manifest: ${where}.base_schema must be a JSON schema object`);
  return parsed;
}

function valuesAt(config: unknown, path: string[]): unknown[] {
  let nodes: unknown[] = [config];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const n of nodes) {
      if (segment === "*" && Array.isArray(n)) next.push(...n);
      else if (isNode(n) && segment in n) next.push(n[segment]);
    }
    nodes = next;
  }
  return nodes;
}

export function applyConfigValidations(spec: unknown, config: Record<string, unknown>): void {
  if (!isNode(spec) || !isNode(spec.config_normalization_rules)) return;
  const validations = spec.config_normalization_rules.validations;
  if (!Array.isArray(validations)) return;
  const ajv = new Ajv({ strict: false, allErrors: true });
  validations.forEach((validation, i) => {
    const where = `spec.config_normalization_rules.validations[${i}]`;
    if (!isNode(validation)) return;
    const strategy = isNode(validation.validation_strategy) ? validation.validation_strategy : undefined;
    if (!strategy) throw systemError(`Manifest: ${where}.validation_strategy is required`);
    const schema = baseSchemaOf(strategy, `${where}.validation_strategy`, config);
    let values: unknown[];
    if (nodeType(validation) === "PredicateValidator") {
      values = [interpolate(validation.value, { config }, null)];
    } else if (nodeType(validation) === "DpathValidator") {
      const path = Array.isArray(validation.field_path) ? validation.field_path.map(String) : [];
      values = valuesAt(config, path);
    } else {
      return unsupported(validation, where, ["PredicateValidator", "DpathValidator"]);
    }
    let validate: ReturnType<typeof ajv.compile>;
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw systemError(`Manifest: ${where}.validation_strategy.base_schema is not a valid JSON Schema`, String(error));
    }
    for (const value of values) {
      if (validate(value)) continue;
      const advice = typeof schema.description === "string" ? schema.description : schema.title;
      throw configError(
        typeof advice === "string" ? advice : `The config is invalid: ${ajv.errorsText(validate.errors)}`,
      );
    }
  });
}
