/**
 * Partition routers as declarations for the engine: which parent streams feed a stream's
 * partitions, and how a partition is formed (with Airbyte's semantics).
 *
 * SubstreamPartitionRouter: each parent config yields `{<partition_field>: dpath(parent, key),
 * parent_slice}`; several configs are a union. A parent config names its parent stream by the
 * stream's `name`; the engine reads that stream once and shares its records between its own
 * output and every child. The parent definition's own record_filter, when it differs from the
 * named stream's, filters which parent records become partitions (e.g. "only tasks with
 * subtasks"). A parent config naming the stream itself makes the stream recursive; so does one
 * with the runtime extension `recursive: true` (its `stream` is then what Airbyte's runtime reads
 * instead: a non-recursive definition under another name, see ExtendedParentStreamConfig).
 */
import { systemError } from "../errors.js";
import { interpolate } from "../manifest/interpolation.js";
import type {
  DeclarativeStream,
  ListPartitionRouter,
  SubstreamPartitionRouter,
} from "../manifest/components.generated.js";
import {
  type Config,
  type Registry,
  asComponent,
  buildWith,
  child,
  isNode,
  optionalChild,
  parametersOf,
  rejectUnread,
  stringField,
} from "./node.js";
import type { ExtendedParentStreamConfig } from "../manifest/extensions.js";
import { RecordFilter } from "./record-selector.js";
import { RequestOption } from "./request-option.js";

export interface ParentLink {
  parentName: string;
  /** The parent stream's own component, used when no top-level stream has that name. */
  parentNode: DeclarativeStream;
  parentKey: string[];
  partitionField: string;
  requestOption: RequestOption | undefined;
  /** Extra parent fields copied into `stream_slice.extra_fields`: name → path. */
  extraFields: string[][];
  /** Parent records that fail this filter create no partition. */
  filter: RecordFilter | undefined;
  incrementalDependency: boolean;
  /** `recursive: true` (runtime extension): the parent is the child stream itself. */
  recursive: boolean;
  /** `expected_records` (runtime extension): where a parent record says how many records its child partition holds. */
  expectedRecords: string[] | undefined;
}

export type PartitionSpec =
  | { kind: "single" }
  | { kind: "list"; cursorField: string; values: unknown[]; requestOption: RequestOption | undefined }
  | { kind: "substream"; parents: ParentLink[] };

function parentFilterOf(parentNode: DeclarativeStream): RecordFilter | undefined {
  const retriever: unknown = parentNode.retriever;
  const selector = isNode(retriever) ? retriever.record_selector : undefined;
  const filter = isNode(selector) ? selector.record_filter : undefined;
  return isNode(filter) ? RecordFilter.from(filter, "record_filter") : undefined;
}

export function streamNameOf(node: object, where: string): string {
  const stream = node as { name?: unknown };
  const params = parametersOf(node);
  const name = typeof stream.name === "string" ? stream.name : typeof params.name === "string" ? params.name : undefined;
  if (!name) throw systemError(`Manifest: ${where} has no name`);
  return name;
}

export function buildPartitionSpec(node: unknown, where: string, config: Config): PartitionSpec {
  if (!node) return { kind: "single" };
  if (Array.isArray(node)) {
    if (node.length === 1 && isNode(node[0])) return buildPartitionSpec(node[0], `${where}[0]`, config);
    throw systemError(
      `Manifest: ${where} lists several partition routers (a Cartesian product), which this runtime does not ` +
        "support; use one SubstreamPartitionRouter with several parent_stream_configs (a union)",
    );
  }
  if (!isNode(node)) throw systemError(`Manifest: ${where} must be a component (an object)`);
  return buildWith(PARTITION_ROUTERS, node, where, config);
}

function parentLink(raw: unknown, at: string): ParentLink {
  if (!isNode(raw)) throw systemError(`Manifest: ${at} must be a ParentStreamConfig`);
  const link = asComponent(raw, "ParentStreamConfig", at);
  rejectUnread(link, "ParentStreamConfig", at, [
    "stream", "parent_key", "partition_field", "request_option", "extra_fields", "incremental_dependency",
  ]);
  const parentNode = asComponent(child(link, "stream", at), "DeclarativeStream", `${at}.stream`);
  const extra: unknown[] = Array.isArray(link.extra_fields) ? link.extra_fields : [];
  const requestNode = optionalChild(link, "request_option", at);
  return {
    parentName: streamNameOf(parentNode, `${at}.stream`),
    parentNode,
    parentKey: stringField(link, "parent_key", at).split("/"),
    partitionField: stringField(link, "partition_field", at),
    requestOption: requestNode ? RequestOption.from(requestNode, `${at}.request_option`) : undefined,
    extraFields: extra.map((p) => (Array.isArray(p) ? p.map(String) : String(p).split("/"))),
    filter: parentFilterOf(parentNode),
    incrementalDependency: link.incremental_dependency === true,
    recursive: recursiveFlag(link as ExtendedParentStreamConfig, at),
    expectedRecords: expectedRecordsPath(link as ExtendedParentStreamConfig, at),
  };
}

function expectedRecordsPath(link: ExtendedParentStreamConfig, at: string): string[] | undefined {
  const path = link.expected_records;
  if (path === undefined || path === null) return undefined;
  if (typeof path !== "string" || !path) throw systemError(`Manifest: ${at}.expected_records must be a field path such as num_children`);
  return path.split("/");
}

function recursiveFlag(link: ExtendedParentStreamConfig, at: string): boolean {
  if (link.recursive === undefined || link.recursive === null) return false;
  if (typeof link.recursive !== "boolean") throw systemError(`Manifest: ${at}.recursive must be true or false`);
  return link.recursive;
}

/**
 * The stream's partitions with every `recursive` parent link resolved to the stream itself
 * (`streamName`): the engine then feeds the stream's records back as parents, to any depth.
 */
export function resolveRecursiveParents(spec: PartitionSpec, streamName: string): PartitionSpec {
  if (spec.kind !== "substream" || !spec.parents.some((l) => l.recursive)) return spec;
  return { ...spec, parents: spec.parents.map((l) => (l.recursive ? { ...l, parentName: streamName } : l)) };
}

function substreamPartitionRouter(node: SubstreamPartitionRouter, where: string): PartitionSpec {
  rejectUnread(node, "SubstreamPartitionRouter", where, ["parent_stream_configs"]);
  const configs: unknown[] = Array.isArray(node.parent_stream_configs) ? node.parent_stream_configs : [];
  if (!configs.length) throw systemError(`Manifest: ${where}.parent_stream_configs must not be empty`);
  return { kind: "substream", parents: configs.map((raw, i) => parentLink(raw, `${where}.parent_stream_configs[${i}]`)) };
}

function listPartitionRouter(node: ListPartitionRouter, where: string, config: Config): PartitionSpec {
  rejectUnread(node, "ListPartitionRouter", where, ["cursor_field", "values", "request_option"]);
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

/** `partition_router` components. */
export const PARTITION_ROUTERS = {
  SubstreamPartitionRouter: substreamPartitionRouter,
  ListPartitionRouter: listPartitionRouter,
} satisfies Registry<Config, PartitionSpec>;
