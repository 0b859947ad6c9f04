/** DeclarativeStream with a SimpleRetriever → the definition the engine runs. */
import { systemError } from "../errors.js";
import { type ChangeFeedSpec, parseChangeFeed } from "./change-feed.js";
import { type DatetimeCursor, buildCursor } from "./cursor.js";
import { type ManifestNode, child, isNode, nodeType, optionalChild, unsupported } from "./node.js";
import { type Paginator, buildPaginator } from "./paginator.js";
import { type PartitionSpec, buildPartitionSpec, streamNameOf } from "./partition-router.js";
import { RecordSelector } from "./record-selector.js";
import { HttpRequester } from "./requester.js";
import { type JsonSchema, loadSchema } from "./schema-loader.js";

export interface StreamDefinition {
  name: string;
  /** Paths of the primary key fields, Airbyte style: [["gid"]]. Empty when none. */
  primaryKey: string[][];
  schema: JsonSchema;
  requester: HttpRequester;
  paginator: Paginator;
  selector: RecordSelector;
  partitions: PartitionSpec;
  /** The incremental cursor, when the stream supports incremental syncs. */
  cursor: DatetimeCursor | undefined;
  /** The change feed read before each partition in incremental syncs (see change-feed.ts). */
  changeFeed: ChangeFeed | undefined;
  node: ManifestNode;
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

export function buildStream(
  node: ManifestNode,
  where: string,
  config: Record<string, unknown>,
  baseDir: string,
): StreamDefinition {
  if (nodeType(node) !== "DeclarativeStream") unsupported(node, where, ["DeclarativeStream"]);
  const name = streamNameOf(node, where);
  const at = `${where} (${name})`;
  const retriever = child(node, "retriever", at);
  if (nodeType(retriever) !== "SimpleRetriever") unsupported(retriever, `${at}.retriever`, ["SimpleRetriever"]);
  const router = retriever.partition_router;
  return {
    name,
    primaryKey: normalizePrimaryKey(node.primary_key, at),
    schema: loadSchema(optionalChild(node, "schema_loader", at), `${at}.schema_loader`, name, baseDir),
    requester: new HttpRequester(child(retriever, "requester", `${at}.retriever`), `${at}.retriever.requester`, config),
    paginator: buildPaginator(optionalChild(retriever, "paginator", `${at}.retriever`), `${at}.retriever.paginator`, config),
    selector: RecordSelector.from(child(retriever, "record_selector", `${at}.retriever`), `${at}.retriever.record_selector`, config),
    partitions: buildPartitionSpec(
      Array.isArray(router) ? router.filter(isNode) : isNode(router) ? router : undefined,
      `${at}.retriever.partition_router`,
      config,
    ),
    cursor: buildCursor(optionalChild(node, "incremental_sync", at), `${at}.incremental_sync`, config),
    changeFeed: buildChangeFeed(optionalChild(node, "change_feed", at), `${at}.change_feed`, config, baseDir),
    node,
  };
}

function buildChangeFeed(
  node: ManifestNode | undefined,
  where: string,
  config: Record<string, unknown>,
  baseDir: string,
): ChangeFeed | undefined {
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
