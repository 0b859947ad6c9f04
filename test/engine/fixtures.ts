/**
 * A small generic API for in-process engine tests: `folders` (paginated), `items` per folder
 * (incremental by `updated`, `updated_since`), `notes` per item (through items, incremental
 * dependency) and `tags` per item reached from both folders' items and `pinned` items (two
 * parents leading to one partition). Keys are `id`, not Asana's `gid`: the engine must take them
 * from the manifest.
 */
import type { FakeReply, FakeRequest } from "../helpers/engine.js";
import { page } from "../helpers/engine.js";

export const MANIFEST = `
version: 6.48.15
type: DeclarativeSource
check: { type: CheckStream, stream_names: [folders] }
definitions:
  requester:
    type: HttpRequester
    url_base: "{{ config['base_url'] }}"
    http_method: GET
    error_handler:
      type: DefaultErrorHandler
      max_retries: 2
      backoff_strategies: [{ type: ConstantBackoffStrategy, backoff_time_in_seconds: 0 }]
      response_filters:
        - { type: HttpResponseFilter, error_message_contains: "token has expired", action: RESET_PAGINATION }
        - { type: HttpResponseFilter, http_codes: [403, 404], action: IGNORE, error_message: "No access" }
        - { type: HttpResponseFilter, http_codes: [500], action: RETRY }
  paginator:
    type: DefaultPaginator
    page_token_option: { type: RequestOption, inject_into: request_parameter, field_name: offset }
    pagination_strategy:
      type: CursorPagination
      cursor_value: '{{ response.get("next_page", {}).get("offset", "") }}'
      stop_condition: '{{ not response.get("next_page", {}) }}'
  selector:
    type: RecordSelector
    extractor: { type: DpathExtractor, field_path: [data] }
  schema:
    type: InlineSchemaLoader
    schema: { type: object, properties: { id: { type: string } } }
  cursor:
    type: DatetimeBasedCursor
    cursor_field: updated
    datetime_format: "%Y-%m-%dT%H:%M:%SZ"
    start_datetime: { type: MinMaxDatetime, datetime: "2020-01-01T00:00:00Z", datetime_format: "%Y-%m-%dT%H:%M:%SZ" }
  folders:
    type: DeclarativeStream
    name: folders
    primary_key: id
    schema_loader: { $ref: "#/definitions/schema" }
    retriever:
      type: SimpleRetriever
      requester: { $ref: "#/definitions/requester", path: /folders }
      record_selector: { $ref: "#/definitions/selector" }
      paginator: { $ref: "#/definitions/paginator" }
  items:
    type: DeclarativeStream
    name: items
    primary_key: id
    schema_loader: { $ref: "#/definitions/schema" }
    incremental_sync:
      $ref: "#/definitions/cursor"
      start_time_option: { type: RequestOption, inject_into: request_parameter, field_name: updated_since }
    retriever:
      type: SimpleRetriever
      requester: { $ref: "#/definitions/requester", path: "/folders/{{ stream_partition.folder_id }}/items" }
      record_selector: { $ref: "#/definitions/selector" }
      paginator: { $ref: "#/definitions/paginator" }
      partition_router:
        type: SubstreamPartitionRouter
        parent_stream_configs:
          - { type: ParentStreamConfig, stream: "#/definitions/folders", parent_key: id, partition_field: folder_id }
  pinned:
    type: DeclarativeStream
    name: pinned
    primary_key: id
    schema_loader: { $ref: "#/definitions/schema" }
    retriever:
      type: SimpleRetriever
      requester: { $ref: "#/definitions/requester", path: /pinned }
      record_selector: { $ref: "#/definitions/selector" }
      paginator: { type: NoPagination }
  notes:
    type: DeclarativeStream
    name: notes
    primary_key: id
    schema_loader: { $ref: "#/definitions/schema" }
    incremental_sync: { $ref: "#/definitions/cursor", global_substream_cursor: true }
    retriever:
      type: SimpleRetriever
      requester: { $ref: "#/definitions/requester", path: "/items/{{ stream_partition.item_id }}/notes" }
      record_selector: { $ref: "#/definitions/selector" }
      paginator: { $ref: "#/definitions/paginator" }
      partition_router:
        type: SubstreamPartitionRouter
        parent_stream_configs:
          - { type: ParentStreamConfig, stream: "#/definitions/items", parent_key: id, partition_field: item_id, incremental_dependency: true }
  tags:
    type: DeclarativeStream
    name: tags
    primary_key: id
    schema_loader: { $ref: "#/definitions/schema" }
    retriever:
      type: SimpleRetriever
      requester: { $ref: "#/definitions/requester", path: "/items/{{ stream_partition.item_id }}/tags" }
      record_selector: { $ref: "#/definitions/selector" }
      paginator: { $ref: "#/definitions/paginator" }
      partition_router:
        type: SubstreamPartitionRouter
        parent_stream_configs:
          - type: ParentStreamConfig
            stream:
              $ref: "#/definitions/items"
              retriever:
                $ref: "#/definitions/items/retriever"
                record_selector:
                  $ref: "#/definitions/selector"
                  record_filter: { type: RecordFilter, condition: "{{ record.get('tagged', true) }}" }
            parent_key: id
            partition_field: item_id
          - { type: ParentStreamConfig, stream: "#/definitions/pinned", parent_key: id, partition_field: item_id }
  events:
    type: DeclarativeStream
    name: events
    schema_loader: { $ref: "#/definitions/schema" }
    retriever:
      type: SimpleRetriever
      requester:
        $ref: "#/definitions/requester"
        path: /events
        request_parameters: { folder: "{{ stream_partition.folder_id }}" }
        error_handler:
          type: DefaultErrorHandler
          response_filters: [{ type: HttpResponseFilter, http_codes: [412], action: SUCCESS }]
      record_selector: { $ref: "#/definitions/selector" }
      paginator:
        type: DefaultPaginator
        page_token_option: { type: RequestOption, inject_into: request_parameter, field_name: sync }
        pagination_strategy:
          type: CursorPagination
          cursor_value: "{{ response.get('sync', '') }}"
          stop_condition: "{{ not response.get('has_more', false) }}"
      partition_router:
        type: SubstreamPartitionRouter
        parent_stream_configs:
          - { type: ParentStreamConfig, stream: "#/definitions/folders", parent_key: id, partition_field: folder_id }
streams:
  - "#/definitions/folders"
  - "#/definitions/items"
  - "#/definitions/pinned"
  - "#/definitions/notes"
  - "#/definitions/tags"
`;

/** MANIFEST with a change feed on items: deleted items and notes, and notes added to unchanged items. */
export const FEED_MANIFEST = MANIFEST.replace(
  `    incremental_sync:
      $ref: "#/definitions/cursor"
      start_time_option:`,
  `    change_feed:
      stream: "#/definitions/events"
      token: "{{ response.get('sync', '') }}"
      restart_when: "{{ response.get('errors') }}"
      deleted_key: "{{ record.id if record.action == 'deleted' and record.kind == 'item' else '' }}"
      deleted_at: "{{ record.get('at', '') }}"
      deletions:
        - { stream: notes, key: "{{ record.id if record.action == 'deleted' and record.kind == 'note' else '' }}" }
      rereads:
        - { key: "{{ record.item if record.kind == 'note' and record.action == 'added' else '' }}", streams: [notes] }
    incremental_sync:
      $ref: "#/definitions/cursor"
      start_time_option:`,
);

/** One change in a folder's event log. */
export interface FeedEvent {
  kind: "item" | "note";
  action: "added" | "deleted";
  id: string;
  /** The item a note belongs to. */
  item?: string;
  at: string;
}

export interface World {
  folders: Array<{ id: string }>;
  /** Items per folder id; an item may sit in two folders. */
  items: Record<string, Array<{ id: string; updated: string; tagged?: boolean }>>;
  pinned: Array<{ id: string }>;
  notes: Record<string, Array<{ id: string; updated: string }>>;
  tags: Record<string, Array<{ id: string }>>;
  /** The change log per folder (the Events API: 412 with a fresh token without a valid one). */
  events: Record<string, FeedEvent[]>;
}

export function world(): World {
  return {
    folders: [{ id: "f1" }, { id: "f2" }, { id: "f3" }],
    items: {
      f1: [
        { id: "i1", updated: "2024-01-01T00:00:00Z" },
        { id: "i2", updated: "2024-02-01T00:00:00Z", tagged: false },
        { id: "i3", updated: "2024-03-01T00:00:00Z" },
      ],
      // i3 also sits in f2: emitted once, its children read once.
      f2: [
        { id: "i3", updated: "2024-03-01T00:00:00Z" },
        { id: "i4", updated: "2024-04-01T00:00:00Z" },
      ],
      f3: [],
    },
    pinned: [{ id: "i1" }, { id: "i9" }],
    notes: {
      i1: [{ id: "n1", updated: "2024-01-02T00:00:00Z" }],
      i3: [
        { id: "n3a", updated: "2024-03-02T00:00:00Z" },
        { id: "n3b", updated: "2024-03-03T00:00:00Z" },
      ],
      i4: [{ id: "n4", updated: "2024-04-02T00:00:00Z" }],
    },
    tags: { i1: [{ id: "t1" }], i3: [{ id: "t3" }], i4: [{ id: "t4" }], i9: [{ id: "t9" }] },
    events: { f1: [], f2: [], f3: [] },
  };
}

/** Pages of `size` records with opaque offsets `<path>@<start>`. */
function paged(request: FakeRequest, all: Array<Record<string, unknown>>, size = 2): FakeReply {
  const offset = request.query.get("offset");
  const start = offset === null ? 0 : Number(offset.split("@")[1]);
  const end = start + size;
  return page(all.slice(start, end), end < all.length ? `${request.path}@${end}` : undefined);
}

/** The fake API over a world; `override` answers first when it returns a reply. */
export function api(w: World, override?: (request: FakeRequest) => FakeReply | undefined): (request: FakeRequest) => FakeReply {
  return (request) => {
    const special = override?.(request);
    if (special !== undefined) return special;
    const parts = request.path.split("/").filter(Boolean);
    if (request.path === "/folders") return paged(request, w.folders);
    if (request.path === "/pinned") return page(w.pinned);
    if (parts[0] === "folders" && parts[2] === "items") {
      const since = request.query.get("updated_since");
      const items = (w.items[parts[1]!] ?? []).filter((i) => since === null || i.updated >= since);
      return paged(request, items);
    }
    if (request.path === "/events") {
      const log = w.events[request.query.get("folder") ?? ""] ?? [];
      const sync = request.query.get("sync");
      const fresh = `tok${log.length}`;
      if (sync === null || !/^tok\d+$/.test(sync)) return { status: 412, body: { errors: [{ message: "Sync token invalid or too old" }], sync: fresh } };
      return { status: 200, body: { data: log.slice(Number(sync.slice(3))), sync: fresh, has_more: false } };
    }
    if (parts[0] === "items" && parts[2] === "notes") return paged(request, w.notes[parts[1]!] ?? []);
    if (parts[0] === "items" && parts[2] === "tags") return paged(request, w.tags[parts[1]!] ?? []);
    return { status: 404, body: { errors: [{ message: `Not found: ${request.path}` }] } };
  };
}
