/**
 * `$ref` and `#/path` resolution with Airbyte's rules (https://docs.airbyte.com/platform/connector-development/config-based/understanding-the-yaml-file/reference):
 * - a string starting with `#/` is replaced by the value at that path;
 * - an object with `$ref` becomes the referenced object shallow-merged with its own keys
 *   (local keys win);
 * - paths resolve greedily (a key may contain `/`), numeric segments index lists;
 * - resolution is recursive and a cycle is an error naming the chain.
 */
import { systemError } from "../errors.js";

type Json = unknown;

export function resolveReferences(root: Record<string, unknown>): Record<string, unknown> {
  // A reference resolves to the same value wherever it is used: it is resolved once and shared
  // (the manifest's schemas are referenced by every stream that reads their stream as a parent;
  // copies of them made the resolved tree ~20 times the size of the manifest).
  const resolvedRefs = new Map<string, Json>();
  const target = (ref: string, chain: string[]): Json => {
    let value = resolvedRefs.get(ref);
    if (value === undefined) {
      value = resolve(lookup(root, ref, chain), [...chain, ref]);
      resolvedRefs.set(ref, value);
    }
    return value;
  };
  const resolve = (node: Json, chain: string[]): Json => {
    if (typeof node === "string" && node.startsWith("#/")) return target(node, chain);
    if (Array.isArray(node)) return node.map((item) => resolve(item, chain));
    if (node && typeof node === "object") {
      const obj = node as Record<string, unknown>;
      let base: Record<string, unknown> = {};
      if (typeof obj.$ref === "string") {
        const referenced = target(obj.$ref, chain);
        if (!referenced || typeof referenced !== "object" || Array.isArray(referenced)) {
          throw systemError(`Manifest $ref ${obj.$ref} does not point at an object`);
        }
        base = { ...(referenced as Record<string, unknown>) };
      }
      const out: Record<string, unknown> = base;
      for (const [key, value] of Object.entries(obj)) {
        if (key === "$ref") continue;
        out[key] = key === "config_overrides" ? value : resolve(value, chain);
      }
      return out;
    }
    return node;
  };
  return resolve(root, []) as Record<string, unknown>;
}

function lookup(root: Json, ref: string, chain: string[]): Json {
  if (chain.includes(ref)) {
    throw systemError(`Manifest reference cycle: ${[...chain, ref].join(" -> ")}`);
  }
  const path = ref.replace(/^#\/?/, "");
  const value = walk(root, path.split("/"));
  if (value === undefined) throw systemError(`Manifest reference ${ref} points at nothing`);
  return value;
}

/** Greedy path walk: try the longest literal key first, then one segment at a time. */
function walk(node: Json, segments: string[]): Json {
  if (segments.length === 0) return node;
  if (Array.isArray(node)) {
    const index = Number(segments[0]);
    return Number.isInteger(index) ? walk(node[index], segments.slice(1)) : undefined;
  }
  if (!node || typeof node !== "object") return undefined;
  const obj = node as Record<string, unknown>;
  for (let n = segments.length; n >= 1; n--) {
    const key = segments.slice(0, n).join("/");
    if (key in obj) {
      const found = walk(obj[key], segments.slice(n));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
