/**
 * Singer catalogs (`--discover` output, `--catalog` input) and their selection metadata
 * (singer-io/getting-started DISCOVERY_MODE.md; selection as in the Meltano SDK's
 * `MetadataMapping._breadcrumb_is_selected`):
 *   1. a stream without any metadata is selected, with all its fields;
 *   2. a field of a deselected stream is deselected;
 *   3. `inclusion: unsupported` is never selected, `inclusion: automatic` always;
 *   4. otherwise an explicit `selected` wins, then `selected-by-default`, then the parent's value
 *      (and a stream, which has no parent, is then not selected).
 * Only top-level fields (`["properties", name]`) take part in field selection.
 */
import { configError } from "../errors.js";

export type ReplicationMethod = "FULL_TABLE" | "INCREMENTAL";
type SyncMode = "full_refresh" | "incremental";

export interface SingerMetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

export interface SingerCatalogEntry {
  tap_stream_id: string;
  stream: string;
  schema: Record<string, unknown>;
  key_properties: string[];
  replication_method: ReplicationMethod;
  replication_key?: string;
  metadata: SingerMetadataEntry[];
}

export interface SingerCatalog {
  streams: SingerCatalogEntry[];
}

/** What the catalog needs to know of a stream (the engine's StreamInfo fits). */
export interface CatalogStream {
  name: string;
  schema: Record<string, unknown>;
  /** Airbyte-style paths: [["gid"]]. */
  primaryKey: string[][];
  cursorField: string[] | undefined;
}

/** A Singer key names a top-level property; a nested Airbyte path is written with dots. */
const keyName = (path: string[]): string => path.join(".");

function propertiesOf(schema: Record<string, unknown>): Record<string, unknown> {
  const props = schema.properties;
  return props && typeof props === "object" && !Array.isArray(props) ? (props as Record<string, unknown>) : {};
}

export function keyPropertiesOf(stream: CatalogStream): string[] {
  return stream.primaryKey.map(keyName);
}

export function replicationKeyOf(stream: CatalogStream): string | undefined {
  return stream.cursorField?.length ? keyName(stream.cursorField) : undefined;
}

/** The discovered catalog: every stream selected by default, primary-key and cursor fields automatic. */
export function toSingerCatalog(streams: CatalogStream[]): SingerCatalog {
  return {
    streams: streams.map((s) => {
      const keys = keyPropertiesOf(s);
      const replicationKey = replicationKeyOf(s);
      const streamMetadata: Record<string, unknown> = {
        inclusion: "available",
        "selected-by-default": true,
        "table-key-properties": keys,
        "forced-replication-method": replicationKey ? "INCREMENTAL" : "FULL_TABLE",
        ...(replicationKey ? { "valid-replication-keys": [replicationKey] } : {}),
      };
      const fields = Object.keys(propertiesOf(s.schema)).map((field) => ({
        breadcrumb: ["properties", field],
        metadata: {
          inclusion: keys.includes(field) || field === replicationKey ? "automatic" : "available",
          "selected-by-default": true,
        },
      }));
      return {
        tap_stream_id: s.name,
        stream: s.name,
        schema: s.schema,
        key_properties: keys,
        replication_method: replicationKey ? "INCREMENTAL" : "FULL_TABLE",
        ...(replicationKey ? { replication_key: replicationKey } : {}),
        metadata: [{ breadcrumb: [], metadata: streamMetadata }, ...fields],
      };
    }),
  };
}

/** The metadata of one catalog entry, by breadcrumb, with the selection rule. */
export class StreamMetadata {
  private readonly byBreadcrumb = new Map<string, Record<string, unknown>>();

  constructor(entries: SingerMetadataEntry[]) {
    for (const entry of entries) {
      const key = JSON.stringify(entry.breadcrumb);
      this.byBreadcrumb.set(key, { ...this.byBreadcrumb.get(key), ...entry.metadata });
    }
  }

  get(breadcrumb: string[]): Record<string, unknown> {
    return this.byBreadcrumb.get(JSON.stringify(breadcrumb)) ?? {};
  }

  isSelected(breadcrumb: string[]): boolean {
    if (this.byBreadcrumb.size === 0) return true;
    let parent: boolean | undefined;
    if (breadcrumb.length > 0) {
      parent = this.isSelected(breadcrumb.slice(0, -2));
      if (!parent) return false;
    }
    const md = this.get(breadcrumb);
    if (md.inclusion === "unsupported") return false;
    if (md.inclusion === "automatic") return true;
    if (typeof md.selected === "boolean") return md.selected;
    if (typeof md["selected-by-default"] === "boolean") return md["selected-by-default"];
    return parent ?? false;
  }
}

/** One stream of an input catalog, checked for shape. */
export interface InputStream {
  id: string;
  schema: Record<string, unknown> | undefined;
  metadata: StreamMetadata;
  /** The entry's own `replication_method`, if any. */
  replicationMethod: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === "object" && !Array.isArray(value);

/** Reads a `--catalog` / `--properties` document; every shape problem is a config_error. */
export function parseSingerCatalog(document: unknown, file: string): InputStream[] {
  if (!isObject(document) || !Array.isArray(document.streams)) {
    throw configError(`The catalog file ${file} must be a Singer catalog: a JSON object with a "streams" list`);
  }
  return document.streams.map((entry: unknown, i: number): InputStream => {
    const where = `The catalog's streams[${i}]`;
    if (!isObject(entry)) throw configError(`${where} is not an object`);
    const id = typeof entry.tap_stream_id === "string" && entry.tap_stream_id ? entry.tap_stream_id : entry.stream;
    if (typeof id !== "string" || !id) throw configError(`${where} has neither tap_stream_id nor stream`);
    const rawMetadata = entry.metadata ?? [];
    if (!Array.isArray(rawMetadata)) throw configError(`${where} (${id}): metadata must be a list`);
    const metadata = rawMetadata.map((m: unknown, j: number): SingerMetadataEntry => {
      if (!isObject(m) || !Array.isArray(m.breadcrumb) || !m.breadcrumb.every((b) => typeof b === "string") || !isObject(m.metadata)) {
        throw configError(`${where} (${id}): metadata[${j}] must be {"breadcrumb": [strings], "metadata": {...}}`);
      }
      return { breadcrumb: m.breadcrumb as string[], metadata: m.metadata };
    });
    // Legacy catalogs mark selection on the entry (or its schema) instead of the metadata.
    const legacySelected = typeof entry.selected === "boolean" ? entry.selected : isObject(entry.schema) ? entry.schema.selected : undefined;
    if (typeof legacySelected === "boolean" && !metadata.some((m) => m.breadcrumb.length === 0 && "selected" in m.metadata)) {
      metadata.push({ breadcrumb: [], metadata: { selected: legacySelected } });
    }
    return {
      id,
      schema: isObject(entry.schema) ? entry.schema : undefined,
      metadata: new StreamMetadata(metadata),
      replicationMethod: entry.replication_method,
    };
  });
}

/** How one selected stream is written: its SCHEMA and which record fields to drop. */
export interface SingerStreamPlan {
  stream: string;
  /** The schema sent in SCHEMA, without the deselected fields. */
  schema: Record<string, unknown>;
  keyProperties: string[];
  bookmarkProperties: string[] | undefined;
  replicationMethod: ReplicationMethod;
  /** Top-level fields deselected in the catalog, dropped from every record. */
  excluded: string[];
}

export interface SingerSelection {
  /** The selected streams known to the source, in catalog order, with their sync modes. */
  streams: Array<{ name: string; syncMode: SyncMode }>;
  /** Selected streams the source does not have. */
  unknown: string[];
  plans: SingerStreamPlan[];
  /** Selected top-level fields of the streams that deselect some (for field selection in requests). */
  fields: Map<string, string[]>;
}

function replicationMethodOf(input: InputStream, stream: CatalogStream): ReplicationMethod {
  const md = input.metadata.get([]);
  const chosen = md["replication-method"] ?? input.replicationMethod ?? md["forced-replication-method"];
  if (chosen === undefined || chosen === null || chosen === "") return replicationKeyOf(stream) ? "INCREMENTAL" : "FULL_TABLE";
  const method = String(chosen).toUpperCase();
  if (method === "FULL_TABLE" || method === "INCREMENTAL") return method;
  throw configError(
    `The catalog asks for stream ${input.id} with replication method ${JSON.stringify(chosen)}; this tap supports FULL_TABLE${
      replicationKeyOf(stream) ? " and INCREMENTAL" : ""
    }`,
  );
}

function withoutFields(schema: Record<string, unknown>, excluded: string[]): Record<string, unknown> {
  if (!excluded.length) return schema;
  const drop = new Set(excluded);
  const properties = Object.fromEntries(Object.entries(propertiesOf(schema)).filter(([k]) => !drop.has(k)));
  const out: Record<string, unknown> = { ...schema, properties };
  if (Array.isArray(schema.required)) out.required = schema.required.filter((k) => !drop.has(String(k)));
  return out;
}

/**
 * Applies an input catalog to the source's streams. Without a catalog every stream is selected
 * with every field. Primary-key and replication-key fields are always kept.
 */
export function selectStreams(available: CatalogStream[], catalog: InputStream[] | undefined): SingerSelection {
  const byName = new Map(available.map((s) => [s.name, s]));
  const inputs = catalog ?? available.map((s) => ({ id: s.name, schema: undefined, metadata: new StreamMetadata([]), replicationMethod: undefined }));
  const selection: SingerSelection = { streams: [], unknown: [], plans: [], fields: new Map() };
  for (const input of inputs) {
    if (!input.metadata.isSelected([])) continue;
    const stream = byName.get(input.id);
    if (!stream) {
      selection.unknown.push(input.id);
      continue;
    }
    const method = replicationMethodOf(input, stream);
    const keys = keyPropertiesOf(stream);
    const replicationKey = replicationKeyOf(stream);
    const always = new Set([...keys, ...(replicationKey ? [replicationKey] : [])]);
    const fieldNames = Object.keys(propertiesOf(stream.schema));
    const excluded = fieldNames.filter((f) => !always.has(f) && !input.metadata.isSelected(["properties", f]));
    // The catalog's schema is what the user (or Meltano's `schema` extra) may have adjusted.
    const baseSchema = input.schema && isObject(input.schema.properties) ? input.schema : stream.schema;
    selection.streams.push({ name: stream.name, syncMode: method === "INCREMENTAL" ? "incremental" : "full_refresh" });
    selection.plans.push({
      stream: stream.name,
      schema: withoutFields(baseSchema, excluded),
      keyProperties: keys,
      bookmarkProperties: method === "INCREMENTAL" && replicationKey ? [replicationKey] : undefined,
      replicationMethod: method,
      excluded,
    });
    if (excluded.length) {
      const drop = new Set(excluded);
      selection.fields.set(stream.name, fieldNames.filter((f) => !drop.has(f)));
    }
  }
  return selection;
}
