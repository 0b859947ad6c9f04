/**
 * HttpRequester: builds the URL, query and headers of one request from the interpolation context.
 * URL join follows the CDK (PROTOCOL-NOTES §2.3): the path loses its leading "/" and url_base gets
 * a trailing "/", so `https://app.asana.com/api/1.0` + `/projects` keeps `/api/1.0`.
 */
import { systemError } from "../errors.js";
import { type InterpolationContext, assertTemplate, interpolateString } from "../manifest/interpolation.js";
import { type Authenticator, buildAuthenticator } from "./authenticator.js";
import { type ErrorHandler, buildErrorHandler } from "./error-handler.js";
import {
  type ManifestNode,
  isNode,
  nodeType,
  optionalChild,
  optionalString,
  parametersOf,
  stringMap,
  unsupported,
} from "./node.js";
import type { PageRequest } from "./paginator.js";
import type { RequestParts } from "./request-option.js";

export interface BuiltRequest {
  url: string;
  headers: Record<string, string>;
}

/**
 * QueryProperties: a request parameter that lists the properties to fetch (Asana's opt_fields),
 * joined with commas. With a JsonSchemaPropertySelector, only the properties selected in the
 * catalog are asked for (plus `always_include_properties`). A catalog selects top-level fields,
 * and an entry of the list may be a dotted path into one (`assignee.name`): it is kept when its
 * first segment is selected, so narrowing the columns never drops the sub-fields of a kept one.
 */
export class QueryProperties {
  constructor(
    readonly propertyList: string[],
    readonly alwaysInclude: string[],
    readonly selectable: boolean,
  ) {}

  static from(node: ManifestNode, where: string): QueryProperties {
    const list = node.property_list;
    if (!Array.isArray(list) || !list.every((p) => typeof p === "string")) {
      throw systemError(`Manifest: ${where}.property_list must be a list of property names (PropertiesFromEndpoint is not supported)`);
    }
    if (node.property_chunking !== undefined) throw systemError(`Manifest: ${where}.property_chunking is not supported`);
    const always = Array.isArray(node.always_include_properties) ? node.always_include_properties.map(String) : [];
    const selector = node.property_selector;
    if (selector !== undefined && !(isNode(selector) && nodeType(selector) === "JsonSchemaPropertySelector")) {
      throw systemError(`Manifest: ${where}.property_selector must be a JsonSchemaPropertySelector`);
    }
    return new QueryProperties(list, always, selector !== undefined);
  }

  render(selected: ReadonlySet<string> | undefined): string {
    const chosen = this.selectable && selected ? this.propertyList.filter((p) => selected.has(topLevelField(p))) : this.propertyList;
    return Array.from(new Set([...this.alwaysInclude, ...chosen])).join(",");
  }
}

/** The top-level field of a property path (`assignee.name` -> `assignee`). */
export function topLevelField(path: string): string {
  const dot = path.indexOf(".");
  return dot < 0 ? path : path.slice(0, dot);
}

export function joinUrl(base: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  const trimmedBase = base.endsWith("/") ? base : `${base}/`;
  return new URL(path.replace(/^\/+/, ""), trimmedBase).toString();
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

  constructor(node: ManifestNode, where: string, private readonly config: Record<string, unknown>) {
    if (nodeType(node) !== "HttpRequester") unsupported(node, where, ["HttpRequester"]);
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
    this.errorHandler = buildErrorHandler(optionalChild(node, "error_handler", where), `${where}.error_handler`, config);
  }

  /**
   * Restricts QueryProperties parameters with a JsonSchemaPropertySelector to these top-level
   * fields (the catalog's selected columns); undefined asks for every listed property.
   */
  selectFields(fields: Iterable<string> | undefined): void {
    this.selectedFields = fields ? new Set(fields) : undefined;
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
      url = new URL(joinUrl(base, path));
    } catch {
      // The spec's pattern already rejected a bad base_url: what is left is a path of the manifest
      // or of the API's next page.
      throw systemError(`Could not build a request URL from ${JSON.stringify(base)} and the path ${JSON.stringify(path)}`);
    }
    const query: Record<string, string> = {};
    for (const [key, template] of Object.entries(this.params)) {
      const value =
        template instanceof QueryProperties ? template.render(this.selectedFields) : interpolateString(template, context);
      if (value !== "" && value !== "None") query[key] = value;
    }
    Object.assign(query, extra.params, page.params);
    if (!page.path) for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    else for (const [k, v] of Object.entries(page.params)) url.searchParams.set(k, v);
    const headers: Record<string, string> = {};
    for (const [key, template] of Object.entries(this.headers)) {
      const value = interpolateString(template, context);
      if (value !== "") headers[key] = value;
    }
    Object.assign(headers, extra.headers, page.headers);
    return { url: url.toString(), headers };
  }
}

function requestParameters(node: ManifestNode, where: string): Record<string, string | QueryProperties> {
  const raw = node.request_parameters;
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
