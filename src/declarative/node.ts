/** Typed access to resolved manifest nodes, with errors that say where the manifest is wrong. */
import { systemError } from "../errors.js";

export type ManifestNode = Record<string, unknown>;

export const isNode = (v: unknown): v is ManifestNode => !!v && typeof v === "object" && !Array.isArray(v);

export function nodeType(node: ManifestNode): string {
  return typeof node.type === "string" ? node.type : "(no type)";
}

export function child(node: ManifestNode, key: string, where: string): ManifestNode {
  const value = node[key];
  if (!isNode(value)) throw systemError(`Manifest: ${where}.${key} must be a component (an object)`);
  return value;
}

export function optionalChild(node: ManifestNode, key: string, where: string): ManifestNode | undefined {
  return node[key] === undefined || node[key] === null ? undefined : child(node, key, where);
}

export function stringField(node: ManifestNode, key: string, where: string): string {
  const value = node[key];
  if (typeof value !== "string" || value === "") throw systemError(`Manifest: ${where}.${key} must be a non-empty string`);
  return value;
}

export function optionalString(node: ManifestNode, key: string, where: string): string | undefined {
  const value = node[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw systemError(`Manifest: ${where}.${key} must be a string`);
  return value;
}

export function stringMap(node: ManifestNode, key: string, where: string): Record<string, string> {
  const value = node[key];
  if (value === undefined || value === null) return {};
  if (!isNode(value)) throw systemError(`Manifest: ${where}.${key} must be a mapping`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

export function unsupported(node: ManifestNode, where: string, supported: string[]): never {
  throw systemError(
    `Manifest: ${where} uses component type ${nodeType(node)}, which this runtime does not support ` +
      `(supported here: ${supported.join(", ")})`,
  );
}

/** The `$parameters` a component received after propagation. */
export function parametersOf(node: ManifestNode): Record<string, unknown> {
  return isNode(node.$parameters) ? node.$parameters : {};
}
