/**
 * CheckStream: a stream is available when the first page of its first partition can be read.
 * A child stream's first partition comes from its parent's first record. Then the config values
 * that must name records (`config_must_match`) are checked by reading those streams.
 */
import type { DeclarativeSource } from "../declarative/source.js";
import type { StreamDefinition } from "../declarative/stream.js";
import { valueAt } from "../declarative/record-selector.js";
import { emptyParts } from "../declarative/request-option.js";
import { configValuesOf } from "../declarative/config-match.js";
import { configError } from "../errors.js";
import type { SyncEmitter } from "../protocol/emitter.js";
import { readStreams } from "./read.js";
import { type FetchEnvironment, type PageResult, type Slice, fetchPage } from "./fetch.js";

/**
 * A check page the error handler skipped (402/403/404) means these credentials cannot read the
 * stream: during a sync that skips a partition, during check it is the answer.
 */
function readable(name: string, page: PageResult): PageResult {
  if (page.kind === "ignored") throw configError(`These credentials cannot read ${name}: ${page.reason}`);
  return page;
}

/** The first partition of a stream, or undefined when its parents have no records. */
async function firstSlice(env: FetchEnvironment, source: DeclarativeSource, def: StreamDefinition): Promise<Slice | undefined> {
  const partitions = def.partitions;
  if (partitions.kind === "single") return {};
  if (partitions.kind === "list") return partitions.values.length ? { [partitions.cursorField]: partitions.values[0] } : undefined;
  const link = partitions.parents.find((l) => l.parentName !== def.name) ?? partitions.parents[0]!;
  const parent = source.byName.get(link.parentName)!;
  const parentSlice = await firstSlice(env, source, parent);
  if (!parentSlice) return undefined;
  const page = readable(parent.name, await fetchPage(env, parent, parentSlice, undefined, emptyParts()));
  if (page.kind !== "page") return undefined;
  const record = page.records.find((r) => !link.filter || link.filter.keep(r, { config: env.config }));
  if (!record) return undefined;
  return { [link.partitionField]: valueAt(record, link.parentKey), parent_slice: parentSlice };
}

/** Throws the ConnectorError of the first stream that cannot be read. */
export async function checkStreams(env: FetchEnvironment, source: DeclarativeSource): Promise<void> {
  for (const name of source.checkStreams) {
    const def = source.byName.get(name)!;
    const slice = await firstSlice(env, source, def);
    if (slice) readable(name, await fetchPage(env, def, slice, undefined, emptyParts()));
  }
}

/** An emitter that says nothing: a check reads streams without output. */
const SILENT: SyncEmitter = {
  record: async () => {},
  state: async () => {},
  streamStatus: async () => {},
  rateLimited: async () => {},
  log: async () => {},
};

/**
 * Reads, without output, every stream whose `config_must_match` this config turns on (and their
 * parents), so a config value that names nothing fails the check as it would fail the sync.
 * Costs the listing requests of those streams only; a config without such values costs none.
 */
export async function checkConfigMatches(env: FetchEnvironment, source: DeclarativeSource, concurrency: number): Promise<void> {
  const gated = source.streams.filter((def) => def.configMatches.some((rule) => configValuesOf(rule, env.config).length > 0));
  if (!gated.length) return;
  const result = await readStreams({ source, selected: gated.map((d) => d.name), emitter: SILENT, env, concurrency });
  const failure = result.failures[0];
  if (failure) throw failure.error;
}
