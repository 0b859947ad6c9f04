/**
 * DeclarativeSource: the streams (top-level, in manifest order, plus hidden parent streams that
 * are not top-level), the check, the spec and the concurrency level. The manifest's `api_budget`
 * is read by src/engine/settings.ts.
 */
import { systemError } from "../errors.js";
import type {
  CheckStream,
  ConcurrencyLevel,
  DeclarativeSource as DeclarativeSourceNode,
} from "../manifest/components.generated.js";
import { interpolate } from "../manifest/interpolation.js";
import type { LoadedManifest } from "../manifest/load.js";
import { type Config, type Registry, asComponent, buildWith, isNode, rejectUnread } from "./node.js";
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

/** The streams a check reads. */
function checkStreamNames(node: CheckStream, where: string): string[] {
  rejectUnread(node, "CheckStream", where, ["stream_names"]);
  const names: unknown = node.stream_names;
  return Array.isArray(names) ? names.map(String) : [];
}

/** `check` components. */
export const CHECKS = {
  CheckStream: checkStreamNames,
} satisfies Registry<undefined, string[]>;

/** Adds the parents that are not top-level streams, built from their own definition (hidden). */
function addHiddenParents(
  streams: StreamDefinition[],
  byName: Map<string, StreamDefinition>,
  config: Config,
  baseDir: string,
): void {
  const pending: StreamDefinition[] = [...streams];
  while (pending.length) {
    const stream = pending.pop()!;
    if (stream.partitions.kind !== "substream") continue;
    for (const link of stream.partitions.parents) {
      if (byName.has(link.parentName)) continue;
      const hidden = buildStream(link.parentNode, `parent of ${stream.name}`, config, baseDir);
      byName.set(hidden.name, hidden);
      pending.push(hidden);
    }
  }
}

export function buildSource(manifest: LoadedManifest, config: Config): DeclarativeSource {
  const root: DeclarativeSourceNode = asComponent(manifest.root, "DeclarativeSource", "the manifest");
  // version and definitions are read by the loader; spec by specOf and config-rules.ts; api_budget
  // by the engine's settings; description, metadata and schemas only describe or are referenced.
  rejectUnread(root, "DeclarativeSource", "", [
    "check", "streams", "version", "definitions", "schemas", "spec", "concurrency_level", "api_budget", "metadata", "description",
  ]);
  const rawStreams: unknown[] = Array.isArray(root.streams) ? root.streams : [];
  const streams = rawStreams.map((node, i) => {
    if (!isNode(node)) throw systemError(`Manifest: streams[${i}] must be a DeclarativeStream`);
    return buildStream(node, `streams[${i}]`, config, manifest.dir);
  });
  const byName = new Map<string, StreamDefinition>();
  for (const s of streams) {
    if (byName.has(s.name)) throw systemError(`Manifest: two streams are named ${s.name}`);
    byName.set(s.name, s);
  }
  addHiddenParents(streams, byName, config, manifest.dir);
  for (const stream of streams) {
    for (const deletion of stream.changeFeed?.deletions ?? []) {
      if (deletion.stream !== undefined && !byName.has(deletion.stream)) {
        throw systemError(`Manifest: ${stream.name}.change_feed.deletions names stream ${deletion.stream}, which does not exist`);
      }
    }
  }
  const checkStreams = isNode(root.check) ? buildWith(CHECKS, root.check, "check", undefined) : [];
  for (const name of checkStreams) {
    if (!byName.has(name)) throw systemError(`Manifest: check names stream ${name}, which does not exist`);
  }
  return { streams, byName, checkStreams, concurrency: concurrencyOf(root.concurrency_level, config) };
}

function concurrencyOf(level: ConcurrencyLevel | undefined, config: Config): number {
  if (!isNode(level)) return 1;
  const node = asComponent(level, "ConcurrencyLevel", "concurrency_level");
  rejectUnread(node, "ConcurrencyLevel", "concurrency_level", ["default_concurrency", "max_concurrency"]);
  const value = Number(interpolate(node.default_concurrency, { config }, 1));
  const max = node.max_concurrency === undefined ? Infinity : Number(node.max_concurrency);
  if (!Number.isFinite(value) || value < 1) throw systemError("Manifest: concurrency_level.default_concurrency must be >= 1");
  return Math.max(1, Math.min(Math.floor(value), max));
}

export { streamNameOf };
