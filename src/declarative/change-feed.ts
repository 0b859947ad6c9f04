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
 */
import { systemError } from "../errors.js";
import { type ManifestNode, child, isNode, optionalString } from "./node.js";

export interface Reread {
  key: string;
  streams: string[];
  lookupNode: ManifestNode | undefined;
  parentKey: string[] | undefined;
}

/** A kind of deletion the feed reports: the key template, and the stream it deletes from. */
export interface Deletion {
  key: string;
  /** A stream name; undefined = the stream that owns the feed. */
  stream: string | undefined;
}

export interface ChangeFeedSpec {
  streamNode: ManifestNode;
  token: string;
  restartWhen: string | undefined;
  deletions: Deletion[];
  deletedAt: string | undefined;
  rereads: Reread[];
}

function parseDeletions(node: ManifestNode, where: string): Deletion[] {
  const shorthand = optionalString(node, "deleted_key", where);
  const raw = node.deletions === undefined ? [] : node.deletions;
  if (!Array.isArray(raw)) throw systemError(`Manifest: ${where}.deletions must be a list`);
  const deletions = raw.map((d, i): Deletion => {
    const at = `${where}.deletions[${i}]`;
    if (!isNode(d)) throw systemError(`Manifest: ${at} must be a mapping`);
    const key = optionalString(d, "key", at);
    if (!key) throw systemError(`Manifest: ${at}.key is required`);
    return { key, stream: optionalString(d, "stream", at) };
  });
  return shorthand ? [{ key: shorthand, stream: undefined }, ...deletions] : deletions;
}

export function parseChangeFeed(node: ManifestNode | undefined, where: string): ChangeFeedSpec | undefined {
  if (!node) return undefined;
  const token = optionalString(node, "token", where);
  if (!token) throw systemError(`Manifest: ${where}.token is required`);
  const rawRereads = node.rereads === undefined ? [] : node.rereads;
  if (!Array.isArray(rawRereads)) throw systemError(`Manifest: ${where}.rereads must be a list`);
  const rereads = rawRereads.map((r, i): Reread => {
    const at = `${where}.rereads[${i}]`;
    if (!isNode(r)) throw systemError(`Manifest: ${at} must be a mapping`);
    const key = optionalString(r, "key", at);
    const streams = Array.isArray(r.streams) ? r.streams.map(String) : [];
    if (!key) throw systemError(`Manifest: ${at}.key is required`);
    const lookupNode = r.lookup === undefined ? undefined : child(r, "lookup", at);
    const parentKey = optionalString(r, "parent_key", at)?.split("/");
    if (!lookupNode && !streams.length) throw systemError(`Manifest: ${at} needs streams or a lookup`);
    return { key, streams, lookupNode, parentKey };
  });
  return {
    streamNode: child(node, "stream", where),
    token,
    restartWhen: optionalString(node, "restart_when", where),
    deletions: parseDeletions(node, where),
    deletedAt: optionalString(node, "deleted_at", where),
    rereads,
  };
}
