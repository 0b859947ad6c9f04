/**
 * `change_feed` on a DeclarativeStream: a runtime extension (Airbyte's declarative runtime ignores
 * unknown stream keys) that makes incremental syncs see what the stream's cursor cannot — records
 * deleted since the last sync, and children (comments, files, subtasks) that changed without the
 * parent's cursor moving. It is made of ordinary components: the feed and the lookup are
 * DeclarativeStreams, everything else is a template.
 *
 *   change_feed:
 *     stream: <DeclarativeStream>    the feed, partitioned like this stream, paginated by its token
 *     token: "{{ ... response ... }}"   the token to keep in state (read from any feed answer)
 *     restart_when: "{{ ... }}"         truthy on an answer that says the token is too old:
 *                                       the partition is then read again from the start
 *     deletions: [ {key, stream?} ]     per feed record: the key of a record deleted since the
 *                                       last sync, in `stream` (default: this stream), emitted as
 *                                       a tombstone; `deleted_key: "..."` is short for one entry
 *                                       of this stream
 *     deleted_at: "{{ ... }}"           per feed record: when it was deleted
 *     rereads: [ {key, streams, lookup?, parent_key?} ]
 *        key: per feed record, the key of a record whose children changed; `streams` are the
 *        child streams to read again for it. With `lookup` (a DeclarativeStream reading one
 *        record by its primary-key field, e.g. `stream_partition.gid`), a key missing from the incremental listing is read:
 *        a record with a parent (at `parent_key`) has the parent's `streams` read again; one
 *        without is emitted as a record of this stream.
 *
 * Its keys are typed by hand (src/manifest/extensions.ts) and checked strictly: Airbyte's schema
 * does not know them, so nothing else would catch a misspelt one.
 */
import { systemError } from "../errors.js";
import type { DeclarativeStream } from "../manifest/components.generated.js";
import type { ChangeFeed, ChangeFeedDeletion, ChangeFeedReread } from "../manifest/extensions.js";
import { asComponent, child, isNode, optionalString } from "./node.js";

export interface Reread {
  key: string;
  streams: string[];
  lookupNode: DeclarativeStream | undefined;
  parentKey: string[] | undefined;
}

/** A kind of deletion the feed reports: the key template, and the stream it deletes from. */
export interface Deletion {
  key: string;
  /** A stream name; undefined = the stream that owns the feed. */
  stream: string | undefined;
}

export interface ChangeFeedSpec {
  streamNode: DeclarativeStream;
  token: string;
  restartWhen: string | undefined;
  deletions: Deletion[];
  deletedAt: string | undefined;
  rereads: Reread[];
}

/** The keys of each part of a change feed: it is this runtime's own extension, so any other key is a mistake. */
const KEYS = {
  change_feed: ["stream", "token", "restart_when", "deleted_key", "deletions", "deleted_at", "rereads"],
  deletion: ["key", "stream"],
  reread: ["key", "streams", "lookup", "parent_key"],
} as const satisfies {
  change_feed: readonly (keyof ChangeFeed)[];
  deletion: readonly (keyof ChangeFeedDeletion)[];
  reread: readonly (keyof ChangeFeedReread)[];
};

/** `value` as a mapping with only the keys `known`, typed as `T`. */
function mappingOf<T extends object>(value: unknown, where: string, known: readonly (keyof T & string)[]): T {
  if (!isNode(value)) throw systemError(`Manifest: ${where} must be a mapping`);
  const extra = Object.keys(value).filter((k) => !(known as readonly string[]).includes(k));
  if (extra.length) {
    throw systemError(`Manifest: ${where}.${extra[0]} is not a change_feed key (known here: ${known.join(", ")})`);
  }
  return value as T;
}

function listOf(value: unknown, where: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw systemError(`Manifest: ${where} must be a list`);
  return value;
}

function parseDeletions(node: ChangeFeed, where: string): Deletion[] {
  const shorthand = optionalString(node, "deleted_key", where);
  const deletions = listOf(node.deletions, `${where}.deletions`).map((raw, i): Deletion => {
    const at = `${where}.deletions[${i}]`;
    const d = mappingOf<ChangeFeedDeletion>(raw, at, KEYS.deletion);
    const key = optionalString(d, "key", at);
    if (!key) throw systemError(`Manifest: ${at}.key is required`);
    return { key, stream: optionalString(d, "stream", at) };
  });
  return shorthand ? [{ key: shorthand, stream: undefined }, ...deletions] : deletions;
}

function parseReread(raw: unknown, at: string): Reread {
  const r = mappingOf<ChangeFeedReread>(raw, at, KEYS.reread);
  const key = optionalString(r, "key", at);
  const streams = Array.isArray(r.streams) ? r.streams.map(String) : [];
  if (!key) throw systemError(`Manifest: ${at}.key is required`);
  const lookupNode = r.lookup === undefined ? undefined : asComponent(child(r, "lookup", at), "DeclarativeStream", `${at}.lookup`);
  const parentKey = optionalString(r, "parent_key", at)?.split("/");
  if (!lookupNode && !streams.length) throw systemError(`Manifest: ${at} needs streams or a lookup`);
  return { key, streams, lookupNode, parentKey };
}

export function parseChangeFeed(raw: object | undefined, where: string): ChangeFeedSpec | undefined {
  if (!raw) return undefined;
  const node = mappingOf<ChangeFeed>(raw, where, KEYS.change_feed);
  const token = optionalString(node, "token", where);
  if (!token) throw systemError(`Manifest: ${where}.token is required`);
  const rereads = listOf(node.rereads, `${where}.rereads`).map((r, i) => parseReread(r, `${where}.rereads[${i}]`));
  return {
    streamNode: asComponent(child(node, "stream", where), "DeclarativeStream", `${where}.stream`),
    token,
    restartWhen: optionalString(node, "restart_when", where),
    deletions: parseDeletions(node, where),
    deletedAt: optionalString(node, "deleted_at", where),
    rereads,
  };
}
