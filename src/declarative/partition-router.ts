/**
 * Partition routers as declarations for the engine: which parent streams feed a stream's
 * partitions, and how a partition is formed (PROTOCOL-NOTES §2.3).
 *
 * SubstreamPartitionRouter: each parent config yields `{<partition_field>: dpath(parent, key),
 * parent_slice}`; several configs are a union. A parent config names its parent stream by the
 * stream's `name`; the engine reads that stream once and shares its records between its own
 * output and every child. The parent definition's own record_filter, when it differs from the
 * named stream's, filters which parent records become partitions (e.g. "only tasks with
 * subtasks"). A parent config naming the stream itself makes the stream recursive.
 */
import { systemError } from "../errors.js";
import { interpolate } from "../manifest/interpolation.js";
import { type ManifestNode, child, isNode, nodeType, optionalChild, stringField, unsupported } from "./node.js";
import { RecordFilter } from "./record-selector.js";
import { RequestOption } from "./request-option.js";

export interface ParentLink {
  parentName: string;
  /** The parent stream's own component, used when no top-level stream has that name. */
  parentNode: ManifestNode;
  parentKey: string[];
  partitionField: string;
  requestOption: RequestOption | undefined;
  /** Extra parent fields copied into `stream_slice.extra_fields`: name → path. */
  extraFields: string[][];
  /** Parent records that fail this filter create no partition. */
  filter: RecordFilter | undefined;
  incrementalDependency: boolean;
}

export type PartitionSpec =
  | { kind: "single" }
  | { kind: "list"; cursorField: string; values: unknown[]; requestOption: RequestOption | undefined }
  | { kind: "substream"; parents: ParentLink[] };

function parentFilterOf(parentNode: ManifestNode): RecordFilter | undefined {
  const retriever = isNode(parentNode.retriever) ? parentNode.retriever : undefined;
  const selector = retriever && isNode(retriever.record_selector) ? retriever.record_selector : undefined;
  const filter = selector && isNode(selector.record_filter) ? selector.record_filter : undefined;
  return filter ? RecordFilter.from(filter, "record_filter") : undefined;
}

export function streamNameOf(node: ManifestNode, where: string): string {
  const params = isNode(node.$parameters) ? node.$parameters : {};
  const name = typeof node.name === "string" ? node.name : typeof params.name === "string" ? params.name : undefined;
  if (!name) throw systemError(`Manifest: ${where} has no name`);
  return name;
}

export function buildPartitionSpec(
  node: ManifestNode | ManifestNode[] | undefined,
  where: string,
  config: Record<string, unknown>,
): PartitionSpec {
  if (!node) return { kind: "single" };
  if (Array.isArray(node)) {
    if (node.length === 1 && isNode(node[0])) return buildPartitionSpec(node[0], `${where}[0]`, config);
    throw systemError(
      `Manifest: ${where} lists several partition routers (a Cartesian product), which this runtime does not ` +
        "support; use one SubstreamPartitionRouter with several parent_stream_configs (a union)",
    );
  }
  switch (nodeType(node)) {
    case "SubstreamPartitionRouter": {
      const configs = Array.isArray(node.parent_stream_configs) ? node.parent_stream_configs : [];
      if (!configs.length) throw systemError(`Manifest: ${where}.parent_stream_configs must not be empty`);
      const parents = configs.map((raw, i) => {
        const at = `${where}.parent_stream_configs[${i}]`;
        if (!isNode(raw)) throw systemError(`Manifest: ${at} must be a ParentStreamConfig`);
        const parentNode = child(raw, "stream", at);
        const extra = Array.isArray(raw.extra_fields) ? raw.extra_fields : [];
        const requestNode = optionalChild(raw, "request_option", at);
        return {
          parentName: streamNameOf(parentNode, `${at}.stream`),
          parentNode,
          parentKey: stringField(raw, "parent_key", at).split("/"),
          partitionField: stringField(raw, "partition_field", at),
          requestOption: requestNode ? RequestOption.from(requestNode, `${at}.request_option`) : undefined,
          extraFields: extra.map((p) => (Array.isArray(p) ? p.map(String) : String(p).split("/"))),
          filter: parentFilterOf(parentNode),
          incrementalDependency: raw.incremental_dependency === true,
        } satisfies ParentLink;
      });
      return { kind: "substream", parents };
    }
    case "ListPartitionRouter": {
      const values = interpolate(node.values, { config });
      if (!Array.isArray(values)) throw systemError(`Manifest: ${where}.values must be a list (or a template giving one)`);
      const requestNode = optionalChild(node, "request_option", where);
      return {
        kind: "list",
        cursorField: stringField(node, "cursor_field", where),
        values,
        requestOption: requestNode ? RequestOption.from(requestNode, `${where}.request_option`) : undefined,
      };
    }
    default:
      return unsupported(node, where, ["SubstreamPartitionRouter", "ListPartitionRouter"]);
  }
}
