/**
 * The config's validator: the spec's JSON Schema, compiled by Ajv into a function. Loading Ajv
 * and compiling the spec cost ~45 ms of CPU at every start of the connector (spec aside, every
 * command validates the config), so the build compiles the package's own spec to code once
 * (Ajv's standalone code, written beside this module with the SHA-256 of the spec it was compiled
 * from: scripts/cache-manifest.ts). A start loads that code when its spec is that very spec, and
 * compiles the spec with Ajv otherwise (another manifest, or a build that wrote no file). Both
 * are made with the same options, so their errors are the same.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Ajv, ErrorObject, Options } from "ajv";
import { systemError } from "../errors.js";

/** A compiled schema: true when the data is valid; its errors otherwise. */
export type ConfigValidator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** Where the build writes the spec's compiled validator: beside this module (dist/src/cli/). */
export const PREBUILT_VALIDATOR = fileURLToPath(new URL("./config-validator.prebuilt.cjs", import.meta.url));

/** Every error (not only the first), with the schema and data each is about. */
const OPTIONS: Options = { strict: false, allErrors: true, verbose: true };

// Ajv, ajv-formats and the compiled validator are CommonJS, loaded only when needed.
const require = createRequire(import.meta.url);

const digest = (spec: unknown): string => createHash("sha256").update(JSON.stringify(spec)).digest("hex");

/** A new Ajv with the formats of ajv-formats ("full" mode: date-time, uri, email, ...). */
function newAjv(options: Options): Ajv {
  const { Ajv: AjvClass } = require("ajv") as typeof import("ajv");
  const addFormats = require("ajv-formats") as (ajv: Ajv) => Ajv;
  return addFormats(new AjvClass(options));
}

/**
 * The validator of `spec`: the build's compiled code for this spec, or Ajv's compilation of it.
 * `specChecked`: the spec is known to be a valid JSON Schema (the build checked the package's
 * own), so Ajv need not compile the meta-schema to check it again.
 */
export function configValidator(spec: Record<string, unknown>, specChecked: boolean, file: string = PREBUILT_VALIDATOR): ConfigValidator {
  const prebuilt = prebuiltValidator(spec, file);
  if (prebuilt) return prebuilt;
  const ajv = newAjv({ ...OPTIONS, validateSchema: !specChecked });
  try {
    return ajv.compile(spec);
  } catch (error) {
    // The spec ships with the connector: a bug of ours, not something the user can fix.
    throw systemError(`The connector's spec is not a valid JSON Schema: ${(error as Error).message}`);
  }
}

/** The validator the build compiled, if `file` holds one and it was compiled from `spec`. */
function prebuiltValidator(spec: Record<string, unknown>, file: string): ConfigValidator | undefined {
  let compiled: { default?: unknown; specSha256?: unknown };
  try {
    compiled = require(file) as typeof compiled;
  } catch {
    return undefined;
  }
  if (typeof compiled.default !== "function" || compiled.specSha256 !== digest(spec)) return undefined;
  return compiled.default as ConfigValidator;
}

/** Compiles `spec` to standalone code (CommonJS) and writes it to `file`, with the spec's SHA-256. */
export function writePrebuiltValidator(spec: Record<string, unknown>, file: string = PREBUILT_VALIDATOR): void {
  const { _ } = require("ajv") as typeof import("ajv");
  const standaloneCode = require("ajv/dist/standalone") as (ajv: Ajv, validate: unknown) => string;
  // The generated code takes the format checks from ajv-formats, as addFormats gives them to Ajv.
  const ajv = newAjv({ ...OPTIONS, code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` } });
  const code = standaloneCode(ajv, ajv.compile(spec));
  writeFileSync(file, `${code}\nmodule.exports.specSha256 = ${JSON.stringify(digest(spec))};\n`);
}
