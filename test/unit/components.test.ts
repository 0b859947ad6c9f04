import { describe, expect, it } from "vitest";
import { buildErrorHandler, type HttpAnswer } from "../../src/declarative/error-handler.js";
import { type PageRequest, buildPaginator } from "../../src/declarative/paginator.js";
import { RecordSelector } from "../../src/declarative/record-selector.js";
import { HttpRequester, joinUrl } from "../../src/declarative/requester.js";
import { buildAuthenticator } from "../../src/declarative/authenticator.js";
import { buildPartitionSpec } from "../../src/declarative/partition-router.js";

const asanaPaginator = {
  type: "DefaultPaginator",
  page_size_option: { type: "RequestOption", inject_into: "request_parameter", field_name: "limit" },
  page_token_option: { type: "RequestOption", inject_into: "request_parameter", field_name: "offset" },
  pagination_strategy: {
    type: "CursorPagination",
    page_size: 100,
    cursor_value: '{{ response.get("next_page", {}).get("offset", "") }}',
    stop_condition: '{{ not response.get("next_page", {}) }}',
  },
};

const outcome = (status: number, body: unknown = {}, headers: Record<string, string> = {}): HttpAnswer => ({ status, body, headers });

describe("HttpRequester", () => {
  it("joins url_base and path keeping /api/1.0", () => {
    expect(joinUrl("https://app.asana.com/api/1.0", "/projects")).toBe("https://app.asana.com/api/1.0/projects");
    expect(joinUrl("https://app.asana.com/api/1.0/", "projects")).toBe("https://app.asana.com/api/1.0/projects");
    expect(joinUrl("http://127.0.0.1:9/api/1.0", "/tasks/1/stories")).toBe("http://127.0.0.1:9/api/1.0/tasks/1/stories");
  });

  it("interpolates path and parameters, drops empty parameters, adds page options", () => {
    const requester = new HttpRequester(
      {
        type: "HttpRequester",
        url_base: "{{ config.get('base_url') or 'https://app.asana.com/api/1.0' }}",
        path: "/projects/{{ stream_partition.project_gid }}/sections",
        request_parameters: { opt_fields: "{{ parameters.opt_fields }}", empty: "{{ config.nothing }}" },
        $parameters: { opt_fields: "name,created_at" },
      },
      "test",
      { base_url: "http://127.0.0.1:1234/api/1.0" },
    );
    const paginator = buildPaginator(asanaPaginator, "p", {});
    const first = requester.build({ project_gid: "42" }, undefined, paginator.request(undefined), { params: {}, headers: {} });
    const url = new URL(first.url);
    expect(url.pathname).toBe("/api/1.0/projects/42/sections");
    expect(url.searchParams.get("opt_fields")).toBe("name,created_at");
    expect(url.searchParams.get("limit")).toBe("100");
    expect(url.searchParams.has("offset")).toBe(false);
    expect(url.searchParams.has("empty")).toBe(false);
    const second = new URL(requester.build({ project_gid: "42" }, "tok", paginator.request("tok"), { params: {}, headers: {} }).url);
    expect(second.searchParams.get("offset")).toBe("tok");
  });

  it("writes the query form-encoded, as the URL's search setter does, and sets parameters in a query a path already has", () => {
    const requester = new HttpRequester(
      { type: "HttpRequester", url_base: "http://127.0.0.1:9/api/1.0", path: "/tasks", request_parameters: { opt_fields: "a,b.c", q: "x y/z~'\"<>" } },
      "test",
      {},
    );
    const noPage = { params: {}, headers: {} };
    const expected = new URL("http://127.0.0.1:9/api/1.0/tasks");
    expected.search = new URLSearchParams({ opt_fields: "a,b.c", q: "x y/z~'\"<>", limit: "5" }).toString();
    expect(requester.build({}, undefined, noPage, { params: { limit: "5" }, headers: {} }).url).toBe(expected.href);
    // Each parameter's encoding is kept for its last value only.
    expect(requester.build({}, undefined, noPage, { params: { limit: "6" }, headers: {} }).url).toBe(expected.href.replace("limit=5", "limit=6"));
    expect(requester.build({}, undefined, noPage, { params: { limit: "5" }, headers: {} }).url).toBe(expected.href);
    expect(requester.build({}, undefined, noPage, { params: {}, headers: {} }).url).toBe(
      "http://127.0.0.1:9/api/1.0/tasks?opt_fields=a%2Cb.c&q=x+y%2Fz%7E%27%22%3C%3E",
    );
    const nextPage = { path: "http://127.0.0.1:9/api/1.0/tasks?offset=abc&limit=1#top", params: { limit: "100" }, headers: {} };
    expect(requester.build({}, undefined, nextPage, noPage).url).toBe("http://127.0.0.1:9/api/1.0/tasks?offset=abc&limit=100#top");
    const emptyQuery = { path: "http://127.0.0.1:9/api/1.0/tasks?", params: { limit: "100" }, headers: {} };
    expect(requester.build({}, undefined, emptyQuery, noPage).url).toBe("http://127.0.0.1:9/api/1.0/tasks?limit=100");
    expect(requester.build({}, undefined, { path: "http://127.0.0.1:9/x?a=1", params: {}, headers: {} }, noPage).url).toBe(
      "http://127.0.0.1:9/x?a=1",
    );
  });

  it("says where each request goes (origin, path and query) as parsing its URL would, the fragment left out", () => {
    const requester = new HttpRequester(
      { type: "HttpRequester", url_base: "http://127.0.0.1:9/api/1.0", path: "/tasks", request_parameters: { opt_fields: "a,b.c", q: "x y/z~'\"<>" } },
      "test",
      {},
    );
    const noPage = { params: {}, headers: {} };
    const pages: PageRequest[] = [
      noPage,
      { params: { limit: "5" }, headers: {} },
      { path: "http://127.0.0.1:9/api/1.0/tasks?offset=abc&limit=1#top", params: { limit: "100" }, headers: {} },
      { path: "http://127.0.0.1:9/api/1.0/tasks?", params: { limit: "100" }, headers: {} },
      { path: "http://127.0.0.1:9/x?a=1", params: {}, headers: {} },
      { path: "http://127.0.0.1:9/x#only-a-fragment", params: { limit: "1" }, headers: {} },
      { path: "http://127.0.0.1:9/x", params: {}, headers: {} },
    ];
    for (const page of pages) {
      const built = requester.build({}, undefined, page, noPage);
      const url = new URL(built.url);
      expect(built.target, built.url).toEqual({ origin: url.origin, path: `${url.pathname}${url.search}` });
    }
  });
});

describe("paginators", () => {
  it("CursorPagination follows next_page.offset and stops on null", () => {
    const p = buildPaginator(asanaPaginator, "p", {});
    expect(p.next({ body: { data: [{}], next_page: { offset: "abc" } }, headers: {} }, [{}], undefined)).toBe("abc");
    expect(p.next({ body: { data: [{}], next_page: null }, headers: {} }, [{}], "abc")).toBeUndefined();
    expect(p.next({ body: { data: [] }, headers: {} }, [], undefined)).toBeUndefined();
  });

  it("OffsetIncrement and PageIncrement derive the next token from the current one", () => {
    const offset = buildPaginator(
      {
        type: "DefaultPaginator",
        page_token_option: { type: "RequestOption", inject_into: "request_parameter", field_name: "offset" },
        pagination_strategy: { type: "OffsetIncrement", page_size: 2 },
      },
      "o",
      {},
    );
    expect(offset.next({ body: {}, headers: {} }, [{}, {}], undefined)).toBe(2);
    expect(offset.next({ body: {}, headers: {} }, [{}, {}], 2)).toBe(4);
    expect(offset.next({ body: {}, headers: {} }, [{}], 4)).toBeUndefined();
    const page = buildPaginator(
      {
        type: "DefaultPaginator",
        page_token_option: { type: "RequestOption", inject_into: "request_parameter", field_name: "page" },
        pagination_strategy: { type: "PageIncrement", page_size: 1, start_from_page: 1, inject_on_first_request: true },
      },
      "p",
      {},
    );
    expect(page.request(undefined).params.page).toBe("1");
    expect(page.next({ body: {}, headers: {} }, [{}], undefined)).toBe(2);
  });

  it("NoPagination stops after the first page", () => {
    const p = buildPaginator(undefined, "p", {});
    expect(p.next({ body: { next_page: { offset: "x" } }, headers: {} }, [{}], undefined)).toBeUndefined();
  });

  it("rejects an unknown strategy by name", () => {
    expect(() => buildPaginator({ type: "DefaultPaginator", pagination_strategy: { type: "Magic" } }, "p", {})).toThrow(
      /Magic.*not support/,
    );
  });
});

describe("RecordSelector", () => {
  const selector = RecordSelector.from(
    {
      type: "RecordSelector",
      extractor: { type: "DpathExtractor", field_path: ["data"] },
      record_filter: { type: "RecordFilter", condition: "{{ record.keep }}" },
    },
    "s",
    {},
  );
  it("extracts a list, a single object, and nothing from other shapes", () => {
    expect(selector.select({ data: [{ keep: true, gid: "1" }, { keep: false, gid: "2" }] }, {})).toEqual([{ keep: true, gid: "1" }]);
    expect(selector.select({ data: { keep: true, gid: "3" } }, {})).toEqual([{ keep: true, gid: "3" }]);
    expect(selector.select({ data: "x" }, {})).toEqual([]);
    expect(selector.select({ data: {} }, {})).toEqual([]);
    expect(selector.select(undefined, {})).toEqual([]);
  });

  it("supports the * wildcard", () => {
    const wild = RecordSelector.from(
      { type: "RecordSelector", extractor: { type: "DpathExtractor", field_path: ["data", "*", "items"] } },
      "w",
      {},
    );
    expect(wild.select({ data: [{ items: [{ a: 1 }] }, { items: [{ a: 2 }] }] }, {})).toEqual([{ a: 1 }, { a: 2 }]);
  });
});

describe("error handler", () => {
  const handler = buildErrorHandler(
    {
      type: "DefaultErrorHandler",
      max_retries: 3,
      backoff_strategies: [{ type: "WaitTimeFromHeader", header: "Retry-After" }],
      response_filters: [
        { type: "HttpResponseFilter", http_codes: [401], action: "FAIL", failure_type: "config_error", error_message: "bad token" },
        { type: "HttpResponseFilter", error_message_contains: "pagination token has expired", action: "RESET_PAGINATION" },
        { type: "HttpResponseFilter", http_codes: [403, 404], action: "IGNORE" },
        { type: "HttpResponseFilter", predicate: "{{ response.get('retry') }}", action: "RETRY" },
      ],
    },
    "h",
    {},
  );

  it("resolves filters first, then success, then Airbyte's default mapping", () => {
    expect(handler.resolve(outcome(401))).toMatchObject({ action: "FAIL", failureType: "config_error", message: "bad token" });
    expect(handler.resolve(outcome(400, { errors: [{ message: "offset: Your pagination token has expired." }] })).action).toBe(
      "RESET_PAGINATION",
    );
    expect(handler.resolve(outcome(404)).action).toBe("IGNORE");
    expect(handler.resolve(outcome(200, { retry: true })).action).toBe("RETRY");
    expect(handler.resolve(outcome(200, { data: [] })).action).toBe("SUCCESS");
    expect(handler.resolve({ status: 200, headers: {}, body: undefined }).action).toBe("RETRY");
    expect(handler.resolve(outcome(429)).action).toBe("RATE_LIMITED");
    expect(handler.resolve(outcome(503)).action).toBe("RETRY");
    expect(handler.resolve({ status: 0, headers: {}, body: undefined, networkError: "ECONNRESET" }).action).toBe("RETRY");
    expect(handler.resolve(outcome(400, { errors: [{ message: "workspace: Missing input" }] }))).toMatchObject({
      action: "FAIL",
      failureType: "system_error",
    });
  });

  it("reads Retry-After and leaves other waits to the default backoff", () => {
    expect(handler.backoff(outcome(429, {}, { "retry-after": "7" }), 1)).toBe(7);
    expect(handler.backoff(outcome(503), 1)).toBeUndefined();
    expect(handler.maxRetries).toBe(3);
  });

  it("CompositeErrorHandler lets the first matching handler decide", () => {
    const composite = buildErrorHandler(
      {
        type: "CompositeErrorHandler",
        error_handlers: [
          { type: "DefaultErrorHandler", response_filters: [{ type: "HttpResponseFilter", http_codes: [418], action: "IGNORE" }] },
          { type: "DefaultErrorHandler", backoff_strategies: [{ type: "ConstantBackoffStrategy", backoff_time_in_seconds: 2 }] },
        ],
      },
      "c",
      {},
    );
    expect(composite.resolve(outcome(418)).action).toBe("IGNORE");
    expect(composite.resolve(outcome(500)).action).toBe("RETRY");
    expect(composite.backoff(outcome(500), 1)).toBe(2);
  });
});

describe("authenticators", () => {
  const selective = {
    type: "SelectiveAuthenticator",
    authenticator_selection_path: ["credentials", "option_title"],
    authenticators: {
      "PAT Credentials": { type: "BearerAuthenticator", api_token: "{{ config['credentials']['personal_access_token'] }}" },
    },
  };
  it("selects by the config value and sends a Bearer header", async () => {
    const auth = buildAuthenticator(selective, "a", { credentials: { option_title: "PAT Credentials", personal_access_token: "t0k3n" } });
    expect(await auth.headers()).toEqual({ Authorization: "Bearer t0k3n" });
  });
  it("names the valid choices when the selection is wrong, and a missing token", () => {
    expect(() => buildAuthenticator(selective, "a", { credentials: { option_title: "Nope" } })).toThrow(/"PAT Credentials"/);
    expect(() =>
      buildAuthenticator(selective, "a", { credentials: { option_title: "PAT Credentials", personal_access_token: " " } }),
    ).toThrow(/missing/);
  });
});

describe("partition routers", () => {
  it("reads parent configs as a union and rejects a Cartesian list", () => {
    const parent = (name: string) => ({ type: "DeclarativeStream", name, retriever: { type: "SimpleRetriever" } });
    const spec = buildPartitionSpec(
      {
        type: "SubstreamPartitionRouter",
        parent_stream_configs: [
          { type: "ParentStreamConfig", stream: parent("tasks"), parent_key: "gid", partition_field: "task_gid" },
          { type: "ParentStreamConfig", stream: parent("subtasks"), parent_key: "gid", partition_field: "task_gid" },
        ],
      },
      "r",
      {},
    );
    expect(spec.kind === "substream" && spec.parents.map((p) => p.parentName)).toEqual(["tasks", "subtasks"]);
    expect(() => buildPartitionSpec([{ type: "ListPartitionRouter" }, { type: "ListPartitionRouter" }], "r", {})).toThrow(
      /Cartesian/,
    );
    const list = buildPartitionSpec({ type: "ListPartitionRouter", cursor_field: "id", values: "{{ config.ids }}" }, "l", {
      ids: ["a", "b"],
    });
    expect(list).toMatchObject({ kind: "list", values: ["a", "b"] });
  });

  it("reads expected_records (runtime extension) as a field path, and refuses anything else", () => {
    const parent = { type: "DeclarativeStream", name: "tasks", retriever: { type: "SimpleRetriever" } };
    const router = (expected: unknown) => ({
      type: "SubstreamPartitionRouter",
      parent_stream_configs: [{ type: "ParentStreamConfig", stream: parent, parent_key: "gid", partition_field: "task_gid", expected_records: expected }],
    });
    const spec = buildPartitionSpec(router("counts/children"), "r", {});
    expect(spec.kind === "substream" && spec.parents[0]!.expectedRecords).toEqual(["counts", "children"]);
    expect(() => buildPartitionSpec(router(3), "r", {})).toThrow(
      "Manifest: r.parent_stream_configs[0].expected_records must be a field path such as num_children",
    );
  });
});
