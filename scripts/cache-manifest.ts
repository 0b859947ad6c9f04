/**
 * Writes the parsed and the resolved manifest beside the compiled loader
 * (src/manifest/parsed-cache.ts), so the connector starts without parsing the manifest's YAML or
 * resolving it; writes the spec's config validator as
 * code (src/cli/config-validator.ts), so it starts without loading Ajv; and checks the manifest's spec and its
 * config validations' base schemas against JSON Schema's meta-schema, so the connector need not
 * check them at every start (the build fails when one is not a valid JSON Schema). Run by
 * `npm run build`, after tsc.
 *
 *   node dist/scripts/cache-manifest.js
 */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsImport from "ajv-formats";
import { writePrebuiltValidator } from "../src/cli/config-validator.js";
import { specOf } from "../src/declarative/source.js";
import { DEFAULT_MANIFEST, parseManifest, parseManifestYaml } from "../src/manifest/load.js";
import { writeParsedCache, writeResolvedCache } from "../src/manifest/parsed-cache.js";

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

const text = readFileSync(DEFAULT_MANIFEST, "utf8");
// From the YAML itself, whatever cache files an earlier build left; as a start reads it from the
// JSON cache (aliases become copies, strings as JSON.parse makes them), so both caches hold one tree.
const parsed: unknown = JSON.parse(JSON.stringify(parseManifestYaml(text, DEFAULT_MANIFEST)));
const manifest = parseManifest(text, DEFAULT_MANIFEST, parsed);
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));

/** The JSON Schemas the connector compiles only when it needs them: the spec, the config validations' base schemas. */
function schemasToCheck(): Array<[string, unknown]> {
  const schemas: Array<[string, unknown]> = [["spec.connection_specification", specOf(manifest).connectionSpecification]];
  const spec = manifest.root.spec as { config_normalization_rules?: { validations?: unknown } } | undefined;
  const validations = spec?.config_normalization_rules?.validations;
  if (Array.isArray(validations)) {
    validations.forEach((v: { validation_strategy?: { base_schema?: unknown } }, i) => {
      const schema = v.validation_strategy?.base_schema;
      if (schema && typeof schema === "object") schemas.push([`spec.config_normalization_rules.validations[${i}]`, schema]);
    });
  }
  return schemas;
}

for (const [where, schema] of schemasToCheck()) {
  if (!ajv.validateSchema(schema as object)) {
    console.error(`cache-manifest: ${where} of ${DEFAULT_MANIFEST} is not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`);
    process.exit(1);
  }
}
writeParsedCache(text, parsed);
writeResolvedCache(text, manifest.root);
writePrebuiltValidator(specOf(manifest).connectionSpecification);
