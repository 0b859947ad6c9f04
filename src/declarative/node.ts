/**
 * Manifest nodes and the typed views the builders read them through. A resolved manifest is a
 * plain tree; the interfaces of src/manifest/components.generated.ts (from Airbyte's component
 * schema) say what each component holds. A builder gets its component's interface from a
 * registry (type → builder, one table per category: dispatch checks the `type`, and an
 * unsupported one is an error that lists the registry's keys) or from `asComponent`, then reads
 * fields through the helpers below, which check the values' shapes and name the manifest path in
 * their errors. `rejectUnread` makes every key of Airbyte's schema that a builder does not read an
 * error, so no manifest key is silently ignored.
 */
import { systemError } from "../errors.js";
import { COMPONENT_KEYS, type ManifestComponents } from "../manifest/components.generated.js";

/** A node of the resolved manifest before its type is known (or in code that reads it untyped). */
export type ManifestNode = Record<string, unknown>;

/** The connector's config, as the manifest's templates read it. */
export type Config = Record<string, unknown>;

/** The `type` of every component this runtime supports. */
export type ComponentType = keyof ManifestComponents;

export const isNode = (v: unknown): v is ManifestNode => !!v && typeof v === "object" && !Array.isArray(v);

const field = (node: object, key: string): unknown => (node as Record<string, unknown>)[key];

/** The untyped view of a typed component, for builders that read string keys (oauth.ts, error-handler.ts). */
export const untyped = (node: object): ManifestNode => node as ManifestNode;

export function nodeType(node: object): string {
  const type = (node as { type?: unknown }).type;
  return typeof type === "string" ? type : "(no type)";
}

/** Builds what the runtime runs from one typed component. */
export type Builder<T extends ComponentType, Context, Built> = (
  node: ManifestComponents[T],
  where: string,
  context: Context,
) => Built;

/** One category's builders by component type; adding a component to the runtime is adding a row. */
export type Registry<Context, Built> = { readonly [T in ComponentType]?: Builder<T, Context, Built> };

/** Builds `node` with the registry's builder for its type; any other type is an error listing the registry's keys. */
export function buildWith<Context, Built>(
  registry: Registry<Context, Built>,
  node: object,
  where: string,
  context: Context,
): Built {
  const type = nodeType(node);
  const builder = Object.hasOwn(registry, type) ? registry[type as ComponentType] : undefined;
  if (!builder) return unsupported(node, where, Object.keys(registry));
  // The registry's row for `type` takes that type's interface: the check above is the narrowing.
  return (builder as Builder<ComponentType, Context, Built>)(node as never, where, context);
}

/** The typed view of `node` when it has the type `type`, else the "unsupported component" error. */
export function asComponent<T extends ComponentType>(node: object, type: T, where: string): ManifestComponents[T] {
  if (nodeType(node) !== type) unsupported(node, where, [type]);
  return node as ManifestComponents[T];
}

export function unsupported(node: object, where: string, supported: readonly string[]): never {
  throw systemError(
    `Manifest: ${where} uses component type ${nodeType(node)}, which this runtime does not support ` +
      `(supported here: ${supported.join(", ")})`,
  );
}

/**
 * Rejects the keys Airbyte's schema defines for `type` that are set on `node` and that its builder
 * does not read (`read`), so a manifest never relies on a feature this runtime would ignore. A key
 * set to null, false, "" or [] is left alone: every such key is off when empty, as when absent.
 * `where` is the component's manifest path ("" for the manifest's root).
 */
export function rejectUnread<T extends ComponentType>(
  node: ManifestComponents[T],
  type: T,
  where: string,
  read: readonly (keyof ManifestComponents[T])[],
): void {
  const known: readonly string[] = COMPONENT_KEYS[type];
  for (const key of known) {
    if (key === "type" || key === "$parameters" || (read as readonly string[]).includes(key)) continue;
    if (isSet(field(node, key))) {
      const path = where ? `${where}.${key}` : key;
      throw systemError(`Manifest: ${path} is not supported (this runtime implements ${type} without it); remove it`);
    }
  }
}

const isSet = (value: unknown): boolean =>
  value !== undefined && value !== null && value !== false && value !== "" && !(Array.isArray(value) && value.length === 0);

/** The string keys of a node's type (any string for an untyped ManifestNode). */
type Key<N> = Extract<keyof N, string>;

/** The component a field holds: its object alternatives (a ManifestNode when the field is untyped). */
export type ChildOf<V> = unknown extends V ? ManifestNode : Exclude<Extract<NonNullable<V>, object>, readonly unknown[]>;

export function child<N extends object, K extends Key<N>>(node: N, key: K, where: string): ChildOf<N[K]> {
  const value = field(node, key);
  if (!isNode(value)) throw systemError(`Manifest: ${where}.${key} must be a component (an object)`);
  return value as ChildOf<N[K]>;
}

export function optionalChild<N extends object, K extends Key<N>>(node: N, key: K, where: string): ChildOf<N[K]> | undefined {
  const value = field(node, key);
  return value === undefined || value === null ? undefined : child(node, key, where);
}

export function stringField<N extends object>(node: N, key: Key<N>, where: string): string {
  const value = field(node, key);
  if (typeof value !== "string" || value === "") throw systemError(`Manifest: ${where}.${key} must be a non-empty string`);
  return value;
}

export function optionalString<N extends object>(node: N, key: Key<N>, where: string): string | undefined {
  const value = field(node, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw systemError(`Manifest: ${where}.${key} must be a string`);
  return value;
}

export function stringMap<N extends object>(node: N, key: Key<N>, where: string): Record<string, string> {
  const value = field(node, key);
  if (value === undefined || value === null) return {};
  if (!isNode(value)) throw systemError(`Manifest: ${where}.${key} must be a mapping`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

/** The `$parameters` a component received after propagation. */
export function parametersOf(node: object): Record<string, unknown> {
  const parameters = field(node, "$parameters");
  return isNode(parameters) ? parameters : {};
}
