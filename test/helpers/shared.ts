/**
 * Access to the reference files in ../shared (Airbyte's protocol and manifest schemas, Asana's
 * OpenAPI spec). In a fresh clone without ../shared, conformance tests skip with a clear message.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const SHARED = resolve(ROOT, "../shared");

export function sharedFile(relative: string): string | undefined {
  const file = resolve(SHARED, relative);
  return existsSync(file) ? file : undefined;
}

export function loadSharedYaml(relative: string): Record<string, unknown> | undefined {
  const file = sharedFile(relative);
  return file ? (parse(readFileSync(file, "utf8")) as Record<string, unknown>) : undefined;
}

export function skipNote(relative: string): string {
  return `../shared/${relative} not found: this conformance check is skipped (it runs where ../shared exists, as in CI)`;
}
