/**
 * HttpRequester: builds the URL, query and headers of one request from the interpolation context,
 * and holds the stream's authenticator and error handler. URL join follows Airbyte's CDK: the
 * path loses its leading "/" and url_base gets a trailing "/", so
 * `https://app.asana.com/api/1.0` + `/projects` keeps `/api/1.0`. QueryProperties (a parameter
 * listing the fields to fetch, narrowed to the catalog's columns) lives here too.
 */
import { type RequestTarget, targetOf } from "../http/client.js";
import { systemError } from "../errors.js";
import type {
  HttpRequester as HttpRequesterNode,
  QueryProperties as QueryPropertiesNode,
} from "../manifest/components.generated.js";
import { type InterpolationContext, assertTemplate, interpolateString } from "../manifest/interpolation.js";
import { type Authenticator, buildAuthenticator, configFieldOf } from "./authenticator.js";
import { type ErrorHandler, buildErrorHandler } from "./error-handler.js";
import {
  type Config,
  type Registry,
  asComponent,
  buildWith,
  isNode,
  nodeType,
  optionalChild,
  optionalString,
  parametersOf,
  rejectUnread,
  stringMap,
  untyped,
} from "./node.js";
import type { PageRequest } from "./paginator.js";
import type { RequestParts } from "./request-option.js";
import { type RecordTransformation, buildTransformations } from "./transformations.js";

export interface BuiltRequest {
  url: string;
  headers: Record<string, string>;
  /** The URL's origin and path with its query (what the HTTP client sends, without parsing `url` again). */
  target: RequestTarget;
}

/**
 * QueryProperties: a request parameter that lists the properties to fetch (Asana's opt_fields),
 * joined with commas. With a JsonSchemaPropertySelector, only the properties selected in the
 * catalog are asked for (plus `always_include_properties`). A catalog selects top-level fields,
 * and an entry of the list may be a dotted path into one (`assignee.name`): it is kept when its
 * first segment is selected, so narrowing the columns never drops the sub-fields of a kept one.
 * The selector's `transformations` (AddFields) add names to the selected set first, as in
 * Airbyte's runtime, whose own rule keeps only entries selected by their exact name.
 */
export class QueryProperties {
  private lastSelection: { selected: ReadonlySet<string> | undefined; text: string } | undefined;

  constructor(
    readonly propertyList: string[],
    readonly alwaysInclude: string[],
    readonly selectable: boolean,
    readonly selectionTransformations: readonly RecordTransformation[] = [],
  ) {}

  static from(component: object, where: string): QueryProperties {
    const node: QueryPropertiesNode = asComponent(component, "QueryProperties", where);
    rejectUnread(node, "QueryProperties", where, [
      "property_list", "always_include_properties", "property_chunking", "property_selector",
    ]);
    const list: unknown = node.property_list;
    if (!Array.isArray(list) || !list.every((p) => typeof p === "string")) {
      throw systemError(`Manifest: ${where}.property_list must be a list of property names (PropertiesFromEndpoint is not supported)`);
    }
    if (node.property_chunking !== undefined) throw systemError(`Manifest: ${where}.property_chunking is not supported`);
    const always = Array.isArray(node.always_include_properties) ? node.always_include_properties.map(String) : [];
    const selector: unknown = node.property_selector;
    if (selector !== undefined) {
      if (!isNode(selector) || nodeType(selector) !== "JsonSchemaPropertySelector") {
        throw systemError(`Manifest: ${where}.property_selector must be a JsonSchemaPropertySelector`);
      }
      const at = `${where}.property_selector`;
      const node = asComponent(selector, "JsonSchemaPropertySelector", at);
      rejectUnread(node, "JsonSchemaPropertySelector", at, ["transformations"]);
      const transformations = buildTransformations(node.transformations, `${at}.transformations`);
      return new QueryProperties(list, always, true, transformations);
    }
    return new QueryProperties(list, always, false);
  }

  /**
   * The parameter's value for the selected top-level fields (undefined: no catalog, every
   * property); a requester renders the same selection for every request, so the last is kept.
   */
  render(selected: ReadonlySet<string> | undefined, config: Config = {}): string {
    if (this.lastSelection && this.lastSelection.selected === selected) return this.lastSelection.text;
    const kept = this.selectable && selected ? this.withAddedNames(selected, config) : undefined;
    const chosen = kept ? this.propertyList.filter((p) => kept.has(p) || kept.has(topLevelField(p))) : this.propertyList;
    const text = Array.from(new Set([...this.alwaysInclude, ...chosen])).join(",");
    this.lastSelection = { selected, text };
    return text;
  }

  /**
   * The selected names plus those the selector's transformations add. As in Airbyte's runtime,
   * they run on a record of the selected names (each mapped to an empty object here: conditions
   * see names, not schemas), and its keys afterwards are the kept names.
   */
  private withAddedNames(selected: ReadonlySet<string>, config: Config): ReadonlySet<string> {
    const record: Record<string, unknown> = Object.fromEntries([...selected].map((name) => [name, {}]));
    for (const transform of this.selectionTransformations) transform(record, { config });
    return new Set(Object.keys(record));
  }
}


/** The top-level field of a property path (`assignee.name` -> `assignee`). */
export function topLevelField(path: string): string {
  const dot = path.indexOf(".");
  return dot < 0 ? path : path.slice(0, dot);
}

/** `path` under `base` (an absolute path stands as it is). Throws a TypeError if not a URL. */
export function joinedUrl(base: string, path: string): URL {
  if (/^https?:\/\//i.test(path)) return new URL(path);
  const trimmedBase = base.endsWith("/") ? base : `${base}/`;
  return new URL(path.replace(/^\/+/, ""), trimmedBase);
}

export function joinUrl(base: string, path: string): string {
  return joinedUrl(base, path).href;
}


export class HttpRequester {
  readonly authenticator: Authenticator;
  readonly errorHandler: ErrorHandler;
  private readonly urlBase: string;
  private readonly path: string;
  private readonly params: Record<string, string | QueryProperties>;
  private selectedFields: ReadonlySet<string> | undefined;
  private readonly headers: Record<string, string>;
  private readonly parameters: Record<string, unknown>;
  /** Each parameter's last value and its form encoding (opt_fields: kilobytes, the same every time). */
  private readonly encodedParams = new Map<string, { value: string; encoded: string }>();

  constructor(component: object, where: string, private readonly config: Config) {
    const node: HttpRequesterNode = asComponent(component, "HttpRequester", where);
    // use_cache: the engine reads a parent stream once and shares its records, as a cache would.
    rejectUnread(node, "HttpRequester", where, [
      "url_base", "url", "path", "http_method", "authenticator", "request_parameters", "request_headers", "error_handler", "use_cache",
    ]);
    const method = String(node.http_method ?? "GET").toUpperCase();
    if (method !== "GET") throw systemError(`Manifest: ${where}.http_method ${method} is not supported (GET only)`);
    const url = optionalString(node, "url", where);
    this.urlBase = optionalString(node, "url_base", where) ?? url ?? "";
    this.path = url && !node.url_base ? "" : (optionalString(node, "path", where) ?? "");
    if (!this.urlBase) throw systemError(`Manifest: ${where} needs url_base (or url)`);
    this.params = requestParameters(node, where);
    this.headers = stringMap(node, "request_headers", where);
    const templates = Object.values(this.params).filter((v): v is string => typeof v === "string");
    for (const template of [this.urlBase, this.path, ...templates, ...Object.values(this.headers)]) {
      assertTemplate(template);
    }
    this.parameters = parametersOf(node);
    this.authenticator = buildAuthenticator(optionalChild(node, "authenticator", where), `${where}.authenticator`, config);
    const errorHandler = optionalChild(node, "error_handler", where);
    this.errorHandler = errorHandler
      ? buildWith(ERROR_HANDLERS, errorHandler, `${where}.error_handler`, config)
      : buildErrorHandler(undefined, `${where}.error_handler`, config);
  }

  /**
   * Restricts QueryProperties parameters with a JsonSchemaPropertySelector to these top-level
   * fields (the catalog's selected columns); undefined asks for every listed property.
   */
  selectFields(fields: Iterable<string> | undefined): void {
    this.selectedFields = fields ? new Set(fields) : undefined;
  }

  /** The config field the base URL comes from (`base_url`), for messages; undefined if none. */
  urlBaseConfigField(): string | undefined {
    return configFieldOf(this.urlBase);
  }

  /** The interpolation context of a request for `slice` and `nextPageToken`. */
  context(slice: Record<string, unknown>, nextPageToken: unknown): InterpolationContext {
    return {
      config: this.config,
      parameters: this.parameters,
      stream_partition: slice,
      stream_slice: slice,
      stream_interval: slice,
      next_page_token: nextPageToken === undefined ? null : { next_page_token: nextPageToken },
    };
  }

  build(slice: Record<string, unknown>, nextPageToken: unknown, page: PageRequest, extra: RequestParts): BuiltRequest {
    const context = this.context(slice, nextPageToken);
    const base = interpolateString(this.urlBase, context);
    const path = page.path || interpolateString(this.path, context);
    let url: URL;
    try {
      url = joinedUrl(base, path);
    } catch {
      // The spec's pattern already rejected a bad base_url: what is left is a path of the manifest
      // or of the API's next page.
      throw systemError(`Could not build a request URL from ${JSON.stringify(base)} and the path ${JSON.stringify(path)}`);
    }
    const query: Record<string, string> = {};
    for (const [key, template] of Object.entries(this.params)) {
      const value =
        template instanceof QueryProperties ? template.render(this.selectedFields, this.config) : interpolateString(template, context);
      if (value !== "" && value !== "None") query[key] = value;
    }
    Object.assign(query, extra.params, page.params);
    const headers: Record<string, string> = {};
    for (const [key, template] of Object.entries(this.headers)) {
      const value = interpolateString(template, context);
      if (value !== "") headers[key] = value;
    }
    Object.assign(headers, extra.headers, page.headers);
    // A next page's path already carries the other parameters: only the page's own are set on it.
    return { ...this.withParams(url, Object.entries(page.path ? page.params : query)), headers };
  }

  /** `url` with `params` set in its query, and where it goes. */
  private withParams(url: URL, params: [string, string][]): { url: string; target: RequestTarget } {
    if (params.length === 0) return { url: url.href, target: targetOf(url) };
    // No query or fragment yet (the usual case): the form-encoded parameters appended are exactly
    // what the search setter would make of them, without parsing the query again.
    const href = url.href;
    if (!/[?#]/.test(href)) {
      const query = params.map(([k, v]) => this.encodedParam(k, v)).join("&");
      return { url: `${href}?${query}`, target: { origin: url.origin, path: `${url.pathname}?${query}` } };
    }
    const search = new URLSearchParams(url.search);
    for (const [k, v] of params) search.set(k, v);
    url.search = search.toString();
    return { url: url.href, target: targetOf(url) };
  }

  /** `key=value`, form-encoded as URLSearchParams writes it. */
  private encodedParam(key: string, value: string): string {
    const last = this.encodedParams.get(key);
    if (last?.value === value) return last.encoded;
    const encoded = new URLSearchParams([[key, value]]).toString();
    this.encodedParams.set(key, { value, encoded });
    return encoded;
  }
}

/** `requester` components of a SimpleRetriever. */
export const REQUESTERS = {
  HttpRequester: (node, where, config) => new HttpRequester(node, where, config),
} satisfies Registry<Config, HttpRequester>;

/** `error_handler` components of an HttpRequester, built by error-handler.ts. */
export const ERROR_HANDLERS = {
  DefaultErrorHandler: (node, where, config) => buildErrorHandler(untyped(node), where, config),
  CompositeErrorHandler: (node, where, config) => buildErrorHandler(untyped(node), where, config),
} satisfies Registry<Config, ErrorHandler>;

function requestParameters(node: HttpRequesterNode, where: string): Record<string, string | QueryProperties> {
  const raw: unknown = node.request_parameters;
  if (raw === undefined || raw === null) return {};
  if (!isNode(raw)) throw systemError(`Manifest: ${where}.request_parameters must be a mapping`);
  const out: Record<string, string | QueryProperties> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (isNode(value) && nodeType(value) === "QueryProperties") {
      out[key] = QueryProperties.from(value, `${where}.request_parameters.${key}`);
    } else if (isNode(value) || Array.isArray(value)) {
      throw systemError(`Manifest: ${where}.request_parameters.${key} must be a string or a QueryProperties`);
    } else {
      out[key] = String(value);
    }
  }
  return out;
}
