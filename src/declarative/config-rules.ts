/**
 * Spec.config_normalization_rules.validations: PredicateValidator and DpathValidator with
 * ValidateAdheresToSchema, applied to the config before anything runs. A value that does not
 * adhere to its base schema is a config_error whose message is the base schema's `description`
 * (or `title`), so the manifest words the advice. Config migrations and transformations are not
 * supported (rejected, so a manifest never expects a config this runtime did not produce).
 */
import { createRequire } from "node:module";
import type { Ajv } from "ajv";
import { configError, systemError } from "../errors.js";
import type { DpathValidator, PredicateValidator, ValidateAdheresToSchema } from "../manifest/components.generated.js";
import { interpolate } from "../manifest/interpolation.js";
import { type Config, type Registry, asComponent, buildWith, isNode, rejectUnread } from "./node.js";

function adheresToSchema(node: ValidateAdheresToSchema, where: string, config: Config): Record<string, unknown> {
  rejectUnread(node, "ValidateAdheresToSchema", where, ["base_schema"]);
  const raw: unknown = node.base_schema;
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

/** A new Ajv (CommonJS, loaded on first use). */
function newAjv(): Ajv {
  const { Ajv: AjvClass } = createRequire(import.meta.url)("ajv") as typeof import("ajv");
  return new AjvClass({ strict: false, allErrors: true });
}

/** `validation_strategy` components: the JSON schema the validated values must adhere to. */
export const VALIDATION_STRATEGIES = {
  ValidateAdheresToSchema: adheresToSchema,
} satisfies Registry<Config, Record<string, unknown>>;

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

function predicateValues(node: PredicateValidator, where: string, config: Config): unknown[] {
  rejectUnread(node, "PredicateValidator", where, ["value", "validation_strategy"]);
  return [interpolate(node.value, { config }, null)];
}

function dpathValues(node: DpathValidator, where: string, config: Config): unknown[] {
  rejectUnread(node, "DpathValidator", where, ["field_path", "validation_strategy"]);
  const path: unknown = node.field_path;
  return valuesAt(config, Array.isArray(path) ? path.map(String) : []);
}

/** `validations` components: the config values a validation checks. */
export const VALIDATORS = {
  PredicateValidator: predicateValues,
  DpathValidator: dpathValues,
} satisfies Registry<Config, unknown[]>;

function validate(validation: unknown, where: string, config: Config, ajvInstance: () => Ajv): void {
  if (!isNode(validation)) throw systemError(`Manifest: ${where} must be a validator (an object)`);
  const strategy = validation.validation_strategy;
  if (!isNode(strategy)) throw systemError(`Manifest: ${where}.validation_strategy is required`);
  const schema = buildWith(VALIDATION_STRATEGIES, strategy, `${where}.validation_strategy`, config);
  const values = buildWith(VALIDATORS, validation, where, config);
  // Compiled only when the config has a value to check (compiling costs milliseconds per schema
  // at every start; the build checks the package's own schemas, scripts/cache-manifest.ts).
  if (values.length === 0) return;
  const ajv = ajvInstance();
  let check: ReturnType<typeof ajv.compile>;
  try {
    check = ajv.compile(schema);
  } catch (error) {
    throw systemError(`Manifest: ${where}.validation_strategy.base_schema is not a valid JSON Schema`, String(error));
  }
  for (const value of values) {
    if (check(value)) continue;
    const advice = typeof schema.description === "string" ? schema.description : schema.title;
    throw configError(typeof advice === "string" ? advice : `The config is invalid: ${ajv.errorsText(check.errors)}`);
  }
}

export function applyConfigValidations(spec: unknown, config: Config): void {
  if (!isNode(spec) || !isNode(spec.config_normalization_rules)) return;
  const where = "spec.config_normalization_rules";
  const rules = asComponent(spec.config_normalization_rules, "ConfigNormalizationRules", where);
  rejectUnread(rules, "ConfigNormalizationRules", where, ["validations"]);
  const validations: unknown = rules.validations;
  if (!Array.isArray(validations)) return;
  // Loaded and made for the first value to check, if any (loading Ajv and making one cost ~25 ms).
  let ajv: Ajv | undefined;
  const ajvInstance = (): Ajv => (ajv ??= newAjv());
  validations.forEach((validation, i) => validate(validation, `${where}.validations[${i}]`, config, ajvInstance));
}
