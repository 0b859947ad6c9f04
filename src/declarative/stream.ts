/**
 * DeclarativeStream with a SimpleRetriever → the definition the engine runs: the stream's schema
 * and primary key, how a request is built and authenticated, how pages follow each other, where
 * the records are, which partitions the stream has, its incremental cursor and its change feed.
 */
import { systemError } from "../errors.js";
import type { SimpleRetriever } from "../manifest/components.generated.js";
import type { ExtendedDeclarativeStream } from "../manifest/extensions.js";
import { type ChangeFeedSpec, parseChangeFeed } from "./change-feed.js";
import { type ConfigMatchRule, parseConfigMatches } from "./config-match.js";
import { type DatetimeCursor, buildCursor } from "./cursor.js";
import { type Config, type Registry, asComponent, buildWith, child, optionalChild, rejectUnread } from "./node.js";
import { type Paginator, buildPaginator } from "./paginator.js";
import { type PartitionSpec, buildPartitionSpec, resolveRecursiveParents, streamNameOf } from "./partition-router.js";
import { RecordSelector } from "./record-selector.js";
import { type HttpRequester, REQUESTERS } from "./requester.js";
import { type JsonSchema, loadSchema } from "./schema-loader.js";
import { type RecordTransformation, buildTransformations } from "./transformations.js";

/** What a retriever gives the engine: requests, pages, records and partitions. */
export interface Retrieval {
  requester: HttpRequester;
  paginator: Paginator;
  selector: RecordSelector;
  partitions: PartitionSpec;
}

export interface StreamDefinition extends Retrieval {
  name: string;
  /** Paths of the primary key fields, Airbyte style: [["gid"]]. Empty when none. */
  primaryKey: string[][];
  schema: JsonSchema;
  /** The incremental cursor, when the stream supports incremental syncs. */
  cursor: DatetimeCursor | undefined;
  /** The change feed read before each partition in incremental syncs (see change-feed.ts). */
  changeFeed: ChangeFeed | undefined;
  /** Applied to each selected record, in order, before its primary key is read (transformations.ts). */
  transformations: RecordTransformation[];
  /** Config values that must each name one of the stream's records (config-match.ts). */
  configMatches: ConfigMatchRule[];
}

export interface ChangeFeed extends Omit<ChangeFeedSpec, "streamNode" | "rereads"> {
  feed: StreamDefinition;
  rereads: Array<{ key: string; streams: string[]; lookup: StreamDefinition | undefined; parentKey: string[] | undefined }>;
}

export function normalizePrimaryKey(raw: unknown, where: string): string[][] {
  if (raw === undefined || raw === null || raw === "") return [];
  if (typeof raw === "string") return [[raw]];
  if (Array.isArray(raw)) {
    if (raw.every((k) => typeof k === "string")) return (raw as string[]).map((k) => [k]);
    if (raw.every((k) => Array.isArray(k) && k.every((p) => typeof p === "string"))) return raw as string[][];
  }
  throw systemError(`Manifest: ${where}.primary_key must be a string, a list of strings or a list of lists`);
}

function simpleRetriever(node: SimpleRetriever, where: string, config: Config): Retrieval {
  rejectUnread(node, "SimpleRetriever", where, ["requester", "decoder", "record_selector", "paginator", "partition_router"]);
  const decoder = optionalChild(node, "decoder", where);
  if (decoder) rejectUnread(asComponent(decoder, "JsonDecoder", `${where}.decoder`), "JsonDecoder", `${where}.decoder`, []);
  return {
    requester: buildWith(REQUESTERS, child(node, "requester", where), `${where}.requester`, config),
    paginator: buildPaginator(optionalChild(node, "paginator", where), `${where}.paginator`, config),
    selector: RecordSelector.from(child(node, "record_selector", where), `${where}.record_selector`, config),
    partitions: buildPartitionSpec(node.partition_router, `${where}.partition_router`, config),
  };
}

/** `retriever` components of a DeclarativeStream. */
export const RETRIEVERS = {
  SimpleRetriever: simpleRetriever,
} satisfies Registry<Config, Retrieval>;

export function buildStream(component: object, where: string, config: Config, baseDir: string): StreamDefinition {
  const node: ExtendedDeclarativeStream = asComponent(component, "DeclarativeStream", where);
  const name = streamNameOf(node, where);
  const at = `${where} (${name})`;
  rejectUnread(node, "DeclarativeStream", at, ["name", "retriever", "incremental_sync", "primary_key", "schema_loader", "transformations"]);
  const retriever = child(node, "retriever", at);
  const primaryKey = normalizePrimaryKey(node.primary_key, at);
  const schema = loadSchema(optionalChild(node, "schema_loader", at), `${at}.schema_loader`, name, baseDir);
  const retrieval = buildWith(RETRIEVERS, retriever, `${at}.retriever`, config);
  return {
    name,
    primaryKey,
    schema,
    ...retrieval,
    partitions: resolveRecursiveParents(retrieval.partitions, name),
    cursor: buildCursor(optionalChild(node, "incremental_sync", at), `${at}.incremental_sync`, config),
    changeFeed: buildChangeFeed(optionalChild(node, "change_feed", at), `${at}.change_feed`, config, baseDir),
    transformations: buildTransformations(node.transformations, `${at}.transformations`),
    configMatches: parseConfigMatches(node.config_must_match, `${at}.config_must_match`),
  };
}

function buildChangeFeed(node: object | undefined, where: string, config: Config, baseDir: string): ChangeFeed | undefined {
  const spec = parseChangeFeed(node, where);
  if (!spec) return undefined;
  const { streamNode, rereads, ...templates } = spec;
  return {
    ...templates,
    feed: buildStream(streamNode, `${where}.stream`, config, baseDir),
    rereads: rereads.map((r, i) => ({
      key: r.key,
      streams: r.streams,
      parentKey: r.parentKey,
      lookup: r.lookupNode ? buildStream(r.lookupNode, `${where}.rereads[${i}].lookup`, config, baseDir) : undefined,
    })),
  };
}
