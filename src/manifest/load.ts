/**
 * Loads `manifest.yaml`: parse, resolve references, insert default types and propagate
 * `$parameters`. The result is the plain resolved tree the declarative builders read.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type * as Yaml from "yaml";
import { systemError } from "../errors.js";
import { propagateComponents } from "./components.js";
import { cachedParse, cachedResolved } from "./parsed-cache.js";
import { resolveReferences } from "./references.js";

export interface LoadedManifest {
  /** The resolved component tree (type DeclarativeSource). */
  root: Record<string, unknown>;
  /** The manifest file and its folder (schema files resolve against it). */
  file: string;
  dir: string;
  /**
   * The text is the package's manifest as built (the build's parsed copy was used): the build
   * checked its spec against JSON Schema's meta-schema (scripts/cache-manifest.ts), so start-up
   * need not do it again.
   */
  prebuilt: boolean;
}

/** The package root: two levels above dist/src/manifest or src/manifest. */
export const PACKAGE_ROOT = resolve(
  dirname(fileURLToPath(import.meta.url)),
  fileURLToPath(import.meta.url).includes("/dist/") ? "../../.." : "../..",
);

export const DEFAULT_MANIFEST = resolve(PACKAGE_ROOT, "manifest.yaml");

/** The YAML library, loaded when a manifest is parsed from YAML (not at every start: see parsed-cache.ts). */
const yaml = (): typeof Yaml => createRequire(import.meta.url)("yaml") as typeof Yaml;

/** The YAML's plain tree (no references resolved yet). */
export function parseManifestYaml(text: string, file: string): unknown {
  const { YAMLParseError, parse } = yaml();
  try {
    return parse(text, { prettyErrors: true, maxAliasCount: 1000 });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : "";
    throw systemError(`The manifest ${file} is not valid YAML${where}`, String(error));
  }
}

/**
 * The manifest of `text`: from the build's resolved or parsed copy of this very text if there is
 * one (parsed-cache.ts), else from its YAML; `parsed`: the YAML's tree, already parsed (no cache is read then).
 */
export function parseManifest(text: string, file: string, parsed?: unknown): LoadedManifest {
  const prebuilt = parsed === undefined ? cachedResolved(text) : undefined;
  const cached = parsed === undefined && !prebuilt ? cachedParse(text) : undefined;
  const resolved = prebuilt ?? resolvedTree(parsed ?? cached ?? parseManifestYaml(text, file), file);
  if (resolved.type !== "DeclarativeSource") {
    throw systemError(`The manifest ${file} must have type: DeclarativeSource (got ${String(resolved.type)})`);
  }
  for (const key of ["check", "version"]) {
    if (resolved[key] === undefined) throw systemError(`The manifest ${file} needs a top-level "${key}"`);
  }
  return { root: resolved, file, dir: dirname(file), prebuilt: prebuilt !== undefined || cached !== undefined };
}

/** A parsed manifest with its references resolved and its parameters propagated. */
export function resolvedTree(raw: unknown, file: string): Record<string, unknown> {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw systemError(`The manifest ${file} is not a mapping`);
  return propagateComponents(resolveReferences(raw as Record<string, unknown>));
}

export function loadManifest(file: string = DEFAULT_MANIFEST): LoadedManifest {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw systemError(`The manifest ${file} could not be read`, String(error));
  }
  return parseManifest(text, file);
}
