/**
 * The builders take typed components from registries: an unsupported component type is an error
 * that lists the registry's keys, and a key of Airbyte's schema that the runtime does not
 * implement is an error naming its manifest path, never silently ignored.
 */
import { describe, expect, it } from "vitest";
import { AUTHENTICATORS, buildAuthenticator } from "../../src/declarative/authenticator.js";
import { buildCursor } from "../../src/declarative/cursor.js";
import { HttpRequester } from "../../src/declarative/requester.js";
import { RecordSelector } from "../../src/declarative/record-selector.js";
import { supportedTypes } from "../../src/declarative/registry.js";
import { buildStream } from "../../src/declarative/stream.js";

const cursor = {
  type: "DatetimeBasedCursor",
  cursor_field: "modified_at",
  datetime_format: "%Y-%m-%dT%H:%M:%SZ",
  start_datetime: "2024-01-01T00:00:00Z",
};

const stream = (extra: Record<string, unknown>) => ({
  type: "DeclarativeStream",
  name: "things",
  schema_loader: { type: "InlineSchemaLoader", schema: { type: "object" } },
  retriever: {
    type: "SimpleRetriever",
    requester: { type: "HttpRequester", url_base: "https://example.com", path: "/things" },
    record_selector: { type: "RecordSelector", extractor: { type: "DpathExtractor", field_path: ["data"] } },
  },
  ...extra,
});

describe("component registries", () => {
  it("name the registry's types when a component type is not supported", () => {
    expect(() => buildAuthenticator({ type: "JwtAuthenticator" }, "a", {})).toThrow(
      "Manifest: a uses component type JwtAuthenticator, which this runtime does not support (supported here: " +
        "BearerAuthenticator, ApiKeyAuthenticator, BasicHttpAuthenticator, OAuthAuthenticator, SelectiveAuthenticator, NoAuth)",
    );
    expect(supportedTypes().authenticator).toEqual(Object.keys(AUTHENTICATORS));
    expect(supportedTypes().partition_router).toEqual(["SubstreamPartitionRouter", "ListPartitionRouter"]);
    expect(() => buildCursor({ ...cursor, type: "IncrementingCountCursor" }, "c", {})).toThrow(/supported here: DatetimeBasedCursor\)/);
  });
});

describe("keys the runtime does not implement", () => {
  it("rejects an end for the cursor (it reads up to now) and other windowing keys, naming the path", () => {
    const endOption = { type: "RequestOption", inject_into: "request_parameter", field_name: "until" };
    expect(() => buildCursor({ ...cursor, end_time_option: endOption }, "s.incremental_sync", {})).toThrow(
      /^Manifest: s\.incremental_sync\.end_time_option is not supported: this runtime reads each partition from its start up to now/,
    );
    expect(() => buildCursor({ ...cursor, end_datetime: "{{ now_utc() }}" }, "c", {})).toThrow(/c\.end_datetime is not supported/);
    expect(() => buildCursor({ ...cursor, lookback_window: "P1D" }, "c", {})).toThrow(
      "Manifest: c.lookback_window is not supported (this runtime implements DatetimeBasedCursor without it); remove it",
    );
    expect(() =>
      buildCursor({ ...cursor, start_datetime: { type: "MinMaxDatetime", datetime: "2024-01-01T00:00:00Z", min_datetime: "2023" } }, "c", {}),
    ).toThrow(/c\.start_datetime\.min_datetime is not supported/);
  });

  it("accepts a flag set to false or an empty list: the same as leaving it out", () => {
    expect(buildCursor({ ...cursor, is_data_feed: false, is_compare_strictly: false }, "c", {})?.cursorField).toBe("modified_at");
    expect(buildStream(stream({ state_migrations: [] }), "streams[0]", {}, ".").name).toBe("things");
  });

  it("rejects request bodies, record transformations other than AddFields and schema normalization", () => {
    const requester = { type: "HttpRequester", url_base: "https://example.com", request_body_json: { a: 1 } };
    expect(() => new HttpRequester(requester, "r", {})).toThrow(/^Manifest: r\.request_body_json is not supported/);
    expect(() => buildStream(stream({ transformations: [{ type: "RemoveFields", field_pointers: [["a"]] }] }), "streams[0]", {}, ".")).toThrow(
      /^Manifest: streams\[0\] \(things\)\.transformations\[0\] uses component type RemoveFields, which this runtime does not support \(supported here: AddFields\)/,
    );
    const selector = { type: "RecordSelector", extractor: { type: "DpathExtractor", field_path: [] }, schema_normalization: "Default" };
    expect(() => RecordSelector.from(selector, "sel", {})).toThrow(/sel\.schema_normalization is not supported/);
  });

  it("checks the change_feed extension's keys strictly", () => {
    const feed = { stream: stream({ name: "feed" }), token: "{{ response.sync }}", deleted_keys: "{{ record.gid }}" };
    expect(() => buildStream(stream({ change_feed: feed }), "streams[0]", {}, ".")).toThrow(
      /change_feed\.deleted_keys is not a change_feed key \(known here: stream, token, restart_when, deleted_key,/,
    );
  });
});
