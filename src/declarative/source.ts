/**
 * DeclarativeSource: the streams (top-level, in manifest order, plus hidden parent streams that
 * are not top-level), the check, the spec and the concurrency level.
 */
import { systemError } from "../errors.js";
import { interpolate } from "../manifest/interpolation.js";
import type { LoadedManifest } from "../manifest/load.js";
import { type ManifestNode, isNode, nodeType } from "./node.js";
import { streamNameOf } from "./partition-router.js";
import { type StreamDefinition, buildStream } from "./stream.js";

export interface ConnectorSpecification {
  documentationUrl?: string;
  connectionSpecification: Record<string, unknown>;
  advanced_auth?: Record<string, unknown>;
}

export interface DeclarativeSource {
  /** Streams offered in the catalog, in manifest order. */
  streams: StreamDefinition[];
  /** Every stream the engine can run, by name: the catalog's plus hidden parents. */
  byName: Map<string, StreamDefinition>;
  checkStreams: string[];
  /** Requests in flight at once, from `concurrency_level`. */
  concurrency: number;
}

export function specOf(manifest: LoadedManifest): ConnectorSpecification {
  const spec = manifest.root.spec;
  if (!isNode(spec) || !isNode(spec.connection_specification)) {
    throw systemError("The manifest has no spec.connection_specification");
  }
  return {
    ...(typeof spec.documentation_url === "string" ? { documentationUrl: spec.documentation_url } : {}),
    connectionSpecification: spec.connection_specification,
    ...(isNode(spec.advanced_auth) ? { advanced_auth: spec.advanced_auth } : {}),
  };
}

export function buildSource(manifest: LoadedManifest, config: Record<string, unknown>): DeclarativeSource {
  const rawStreams = Array.isArray(manifest.root.streams) ? manifest.root.streams : [];
  const streams = rawStreams.map((node, i) => {
    if (!isNode(node)) throw systemError(`Manifest: streams[${i}] must be a DeclarativeStream`);
    return buildStream(node, `streams[${i}]`, config, manifest.dir);
  });
  const byName = new Map<string, StreamDefinition>();
  for (const s of streams) {
    if (byName.has(s.name)) throw systemError(`Manifest: two streams are named ${s.name}`);
    byName.set(s.name, s);
  }
  // Parents that are not top-level streams are built from their own definition (hidden).
  const pending: StreamDefinition[] = [...streams];
  while (pending.length) {
    const stream = pending.pop()!;
    if (stream.partitions.kind !== "substream") continue;
    for (const link of stream.partitions.parents) {
      if (byName.has(link.parentName)) continue;
      const hidden = buildStream(link.parentNode, `parent of ${stream.name}`, config, manifest.dir);
      byName.set(hidden.name, hidden);
      pending.push(hidden);
    }
  }
  for (const stream of streams) {
    for (const deletion of stream.changeFeed?.deletions ?? []) {
      if (deletion.stream !== undefined && !byName.has(deletion.stream)) {
        throw systemError(`Manifest: ${stream.name}.change_feed.deletions names stream ${deletion.stream}, which does not exist`);
      }
    }
  }
  const check = manifest.root.check;
  const checkStreams =
    isNode(check) && nodeType(check) === "CheckStream" && Array.isArray(check.stream_names)
      ? check.stream_names.map(String)
      : [];
  for (const name of checkStreams) {
    if (!byName.has(name)) throw systemError(`Manifest: check names stream ${name}, which does not exist`);
  }
  return { streams, byName, checkStreams, concurrency: concurrencyOf(manifest.root, config) };
}

function concurrencyOf(root: ManifestNode, config: Record<string, unknown>): number {
  const level = root.concurrency_level;
  if (!isNode(level)) return 1;
  const value = Number(interpolate(level.default_concurrency, { config }, 1));
  const max = level.max_concurrency === undefined ? Infinity : Number(level.max_concurrency);
  if (!Number.isFinite(value) || value < 1) throw systemError("Manifest: concurrency_level.default_concurrency must be >= 1");
  return Math.max(1, Math.min(Math.floor(value), max));
}

export { streamNameOf };
