/**
 * The package's manifest, parsed at build time: `npm run build` writes the YAML's parsed tree as
 * JSON beside the compiled loader, with the SHA-256 of the text it came from. Parsing the
 * manifest's YAML (~220 kB, most of it the inline stream schemas) costs about 0.2-0.3 s of CPU at
 * every start of the connector, a tenth of a whole medium sync; the JSON parses in a few
 * milliseconds. The loader takes the cached tree only for the very text it was made from, so an
 * edited or another manifest is parsed from its YAML as before.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where the build writes the parsed manifest: beside this module (dist/src/manifest/). */
export const PARSED_MANIFEST = fileURLToPath(new URL("./manifest.parsed.json", import.meta.url));

interface ParsedManifestFile {
  sha256: string;
  parsed: unknown;
}

const digest = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The parsed tree of `text` from the cache file, or undefined (no file, another text, unreadable). */
export function cachedParse(text: string, cacheFile: string = PARSED_MANIFEST): unknown {
  let cache: ParsedManifestFile;
  try {
    cache = JSON.parse(readFileSync(cacheFile, "utf8")) as ParsedManifestFile;
  } catch {
    return undefined;
  }
  return cache.sha256 === digest(text) ? cache.parsed : undefined;
}

/** Writes the cache file for `text` and its parsed tree. */
export function writeParsedCache(text: string, parsed: unknown, cacheFile: string = PARSED_MANIFEST): void {
  const cache: ParsedManifestFile = { sha256: digest(text), parsed };
  writeFileSync(cacheFile, JSON.stringify(cache));
}
