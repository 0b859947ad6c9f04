/**
 * The manifest keys this runtime adds to Airbyte's components, written by hand next to the
 * generated interfaces (components.generated.ts) because Airbyte's schema does not define them.
 * Airbyte's own runtime ignores them (its components accept extra keys), so a manifest using them
 * still loads there, without what they add. Today there are four: a DeclarativeStream's
 * `change_feed` (what it does: src/declarative/change-feed.ts) and `config_must_match`
 * (src/declarative/config-match.ts), and a ParentStreamConfig's `recursive` and
 * `expected_records` (src/declarative/partition-router.ts).
 */
import type { DeclarativeStream, ParentStreamConfig } from "./components.generated.js";

/** A kind of deletion the feed reports. */
export interface ChangeFeedDeletion {
  /** Template, per feed record: the key of a record deleted since the last sync. */
  key: string;
  /** The stream the record is deleted from (default: the stream that owns the feed). */
  stream?: string;
}

/** A kind of change to children that the parent's cursor does not see. */
export interface ChangeFeedReread {
  /** Template, per feed record: the key of a record whose children changed. */
  key: string;
  /** The child streams to read again for that record. */
  streams?: string[];
  /** Reads one record by its primary-key field (e.g. `stream_partition.gid`) when the key is missing from the listing. */
  lookup?: DeclarativeStream;
  /** Where a looked-up record holds its parent's key (a `/`-separated path). */
  parent_key?: string;
}

/** `change_feed`: the feed read before each partition in incremental syncs. */
export interface ChangeFeed {
  /** The feed, partitioned like the stream that owns it, paginated by its token. */
  stream: DeclarativeStream;
  /** Template: the token to keep in state (read from any feed answer). */
  token: string;
  /** Template: truthy on an answer saying the token is too old (the partition is read again from the start). */
  restart_when?: string;
  /** Short for one deletion of the owning stream: `deletions: [{key: <deleted_key>}]`. */
  deleted_key?: string;
  deletions?: ChangeFeedDeletion[];
  /** Template, per feed record: when the record was deleted. */
  deleted_at?: string;
  rereads?: ChangeFeedReread[];
}

/** One `config_must_match` rule: every value of config[config_field] equals some record's field. */
export interface ConfigMustMatch {
  config_field: string;
  /** Record field paths (`/`-separated); a value matches a record when it equals any of them. */
  record_fields: string[];
}

/** A DeclarativeStream with this runtime's extensions. */
export interface ExtendedDeclarativeStream extends DeclarativeStream {
  change_feed?: ChangeFeed;
  config_must_match?: ConfigMustMatch[];
}

/**
 * A ParentStreamConfig with this runtime's extension: `recursive: true` makes the parent the child
 * stream itself (its records are parents too, to any depth). Its `stream` is what Airbyte's
 * runtime reads instead, so it should be a non-recursive definition under another name (Airbyte's
 * runtime cannot take a stream as its own parent).
 */
export interface ExtendedParentStreamConfig extends ParentStreamConfig {
  recursive?: boolean;
  /**
   * A `/`-separated path in the parent record to the number of records the child partition it
   * creates will hold (a count the API sends with the parent, such as a number of subtasks). Only
   * the progress estimates read it; nothing is filtered or skipped because of it.
   */
  expected_records?: string;
}
