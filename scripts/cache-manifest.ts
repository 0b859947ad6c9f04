/**
 * Writes the parsed manifest beside the compiled loader (src/manifest/parsed-cache.ts), so the
 * connector starts without parsing the manifest's YAML, and checks the manifest's spec against
 * JSON Schema's meta-schema, so the connector need not check it at every start (the build fails
 * when the spec is not a valid JSON Schema). Run by `npm run build`, after tsc.
 *
 *   node dist/scripts/cache-manifest.js
 */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsImport from "ajv-formats";
import { specOf } from "../src/declarative/source.js";
import { DEFAULT_MANIFEST, parseManifest, parseManifestYaml } from "../src/manifest/load.js";
import { writeParsedCache } from "../src/manifest/parsed-cache.js";

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

const text = readFileSync(DEFAULT_MANIFEST, "utf8");
const spec = specOf(parseManifest(text, DEFAULT_MANIFEST)).connectionSpecification;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
if (!ajv.validateSchema(spec)) {
  console.error(`cache-manifest: the spec of ${DEFAULT_MANIFEST} is not a valid JSON Schema: ${ajv.errorsText(ajv.errors)}`);
  process.exit(1);
}
writeParsedCache(text, parseManifestYaml(text, DEFAULT_MANIFEST));
