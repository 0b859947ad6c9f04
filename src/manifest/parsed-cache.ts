/**
 * The package's manifest, prepared at build time, so a start need not parse its YAML (~220 kB,
 * most of it the inline stream schemas: about 0.2-0.3 s of CPU at every start of the connector,
 * a tenth of a whole medium sync) nor resolve its references and propagate its parameters
 * (~30 ms). `npm run build` writes two files beside the compiled loader, each with the SHA-256 of
 * the text it came from:
 *   - the YAML's parsed tree as JSON, which any Node reads (a start then resolves it);
 *   - the resolved tree in V8's serialization format, which keeps the tree's sharing (a reference
 *     resolves to one object used in many places, see references.ts) and deserializes in a few
 *     milliseconds; it is taken only by the V8 version that wrote it.
 * The loader takes a cached tree only for the very text it was made from, so an edited or another
 * manifest is parsed from its YAML as before.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { deserialize, serialize } from "node:v8";

/** Where the build writes the parsed manifest: beside this module (dist/src/manifest/). */
export const PARSED_MANIFEST = fileURLToPath(new URL("./manifest.parsed.json", import.meta.url));
/** Where the build writes the resolved manifest (V8's serialization format). */
export const RESOLVED_MANIFEST = fileURLToPath(new URL("./manifest.resolved.bin", import.meta.url));

interface ParsedManifestFile {
  sha256: string;
  parsed: unknown;
}

interface ResolvedManifestFile {
  sha256: string;
  /** The V8 version that wrote the file (`process.versions.v8`). */
  v8: string;
  resolved: Record<string, unknown>;
}

/** The last text hashed and its digest: a start looks the same text up in both caches. */
let lastDigest = { text: "", sha256: "" };

/** The SHA-256 of a manifest's text, as the cache files record it. */
export function manifestDigest(text: string): string {
  if (text !== lastDigest.text) lastDigest = { text, sha256: createHash("sha256").update(text).digest("hex") };
  return lastDigest.sha256;
}

/** The parsed tree of `text` from the cache file, or undefined (no file, another text, unreadable). */
export function cachedParse(text: string, cacheFile: string = PARSED_MANIFEST): unknown {
  let cache: ParsedManifestFile;
  try {
    cache = JSON.parse(readFileSync(cacheFile, "utf8")) as ParsedManifestFile;
  } catch {
    return undefined;
  }
  return cache.sha256 === manifestDigest(text) ? cache.parsed : undefined;
}

/** Writes the cache file for `text` and its parsed tree. */
export function writeParsedCache(text: string, parsed: unknown, cacheFile: string = PARSED_MANIFEST): void {
  const cache: ParsedManifestFile = { sha256: manifestDigest(text), parsed };
  writeFileSync(cacheFile, JSON.stringify(cache));
}

/**
 * The resolved tree of `text` from the cache file, or undefined (no file, another text, another
 * V8, unreadable).
 */
export function cachedResolved(text: string, cacheFile: string = RESOLVED_MANIFEST): Record<string, unknown> | undefined {
  let cache: Partial<ResolvedManifestFile>;
  try {
    cache = deserialize(readFileSync(cacheFile)) as Partial<ResolvedManifestFile>;
  } catch {
    return undefined;
  }
  const usable = cache && cache.sha256 === manifestDigest(text) && cache.v8 === process.versions.v8 && cache.resolved && typeof cache.resolved === "object";
  return usable ? cache.resolved : undefined;
}

/** Writes the resolved cache file for `text` and its resolved tree. */
export function writeResolvedCache(text: string, resolved: Record<string, unknown>, cacheFile: string = RESOLVED_MANIFEST): void {
  const cache: ResolvedManifestFile = { sha256: manifestDigest(text), v8: process.versions.v8, resolved };
  writeFileSync(cacheFile, serialize(cache));
}
