/**
 * Writes the parsed manifest beside the compiled loader (src/manifest/parsed-cache.ts), so the
 * connector starts without parsing the manifest's YAML. Run by `npm run build`, after tsc.
 *
 *   node dist/scripts/cache-manifest.js
 */
import { readFileSync } from "node:fs";
import { DEFAULT_MANIFEST, parseManifestYaml } from "../src/manifest/load.js";
import { writeParsedCache } from "../src/manifest/parsed-cache.js";

const text = readFileSync(DEFAULT_MANIFEST, "utf8");
writeParsedCache(text, parseManifestYaml(text, DEFAULT_MANIFEST));
