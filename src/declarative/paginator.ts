/**
 * DefaultPaginator with CursorPagination, OffsetIncrement or PageIncrement, and NoPagination
 * (PROTOCOL-NOTES §2.3). A token of `undefined` means "the first page"; `next` returns the next
 * token or `undefined` to stop.
 */
import { systemError } from "../errors.js";
import { interpolate, interpolateBoolean, interpolateString, type InterpolationContext } from "../manifest/interpolation.js";
import { type ManifestNode, child, nodeType, optionalChild, optionalString, unsupported } from "./node.js";
import { RequestOption, type RequestParts, emptyParts } from "./request-option.js";
import type { Record_ } from "./record-selector.js";

export interface PageResponse {
  body: unknown;
  headers: Record<string, string>;
}

export interface PageRequest extends RequestParts {
  /** With RequestPath: the full URL or path of the next page. */
  path?: string;
}

export interface Paginator {
  request(token: unknown): PageRequest;
  /** The token after the page fetched with `token`; `undefined` ends the partition. */
  next(response: PageResponse, records: Record_[], token: unknown): unknown;
}

interface Strategy {
  readonly pageSize: number | undefined;
  readonly injectOnFirstRequest: boolean;
  initialToken(): unknown;
  next(response: PageResponse, records: Record_[], token: unknown): unknown;
}

const noPagination: Paginator = {
  request: () => emptyParts(),
  next: () => undefined,
};

export function buildPaginator(node: ManifestNode | undefined, where: string, config: Record<string, unknown>): Paginator {
  if (!node || nodeType(node) === "NoPagination") return noPagination;
  if (nodeType(node) !== "DefaultPaginator") unsupported(node, where, ["DefaultPaginator", "NoPagination"]);
  const strategy = buildStrategy(child(node, "pagination_strategy", where), `${where}.pagination_strategy`, config);
  const sizeNode = optionalChild(node, "page_size_option", where);
  const sizeOption = sizeNode ? RequestOption.from(sizeNode, `${where}.page_size_option`) : undefined;
  const tokenNode = optionalChild(node, "page_token_option", where);
  const tokenIsPath = tokenNode !== undefined && nodeType(tokenNode) === "RequestPath";
  const tokenOption = tokenNode && !tokenIsPath ? RequestOption.from(tokenNode, `${where}.page_token_option`) : undefined;
  return {
    request(token: unknown): PageRequest {
      const parts: PageRequest = emptyParts();
      if (sizeOption && strategy.pageSize !== undefined) sizeOption.inject(parts, strategy.pageSize);
      const effective = token === undefined && strategy.injectOnFirstRequest ? strategy.initialToken() : token;
      if (effective !== undefined) {
        if (tokenIsPath) parts.path = String(effective);
        else tokenOption?.inject(parts, effective);
      }
      return parts;
    },
    next: (response, records, token) => strategy.next(response, records, token),
  };
}

function pageSizeOf(node: ManifestNode, where: string, config: Record<string, unknown>): number | undefined {
  const raw = interpolate(node.page_size, { config });
  if (raw === undefined || raw === null) return undefined;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1) throw systemError(`Manifest: ${where}.page_size must be a positive integer`);
  return size;
}

function buildStrategy(node: ManifestNode, where: string, config: Record<string, unknown>): Strategy {
  const pageSize = pageSizeOf(node, where, config);
  switch (nodeType(node)) {
    case "CursorPagination": {
      const cursorValue = optionalString(node, "cursor_value", where);
      if (!cursorValue) throw systemError(`Manifest: ${where}.cursor_value is required`);
      const stop = node.stop_condition;
      return {
        pageSize,
        injectOnFirstRequest: false,
        initialToken: () => undefined,
        next(response, records) {
          const context: InterpolationContext = {
            config,
            response: response.body,
            headers: response.headers,
            last_record: records.length ? records[records.length - 1] : null,
            last_page_size: records.length,
          };
          if (stop !== undefined && interpolateBoolean(stop, context)) return undefined;
          const token = interpolateString(cursorValue, context);
          return token === "" ? undefined : token;
        },
      };
    }
    case "OffsetIncrement":
      return {
        pageSize,
        injectOnFirstRequest: node.inject_on_first_request === true,
        initialToken: () => 0,
        next(_response, records, token) {
          if (pageSize === undefined ? records.length === 0 : records.length < pageSize) return undefined;
          return Number(token ?? 0) + records.length;
        },
      };
    case "PageIncrement": {
      const start = Number(node.start_from_page ?? 0);
      return {
        pageSize,
        injectOnFirstRequest: node.inject_on_first_request === true,
        initialToken: () => start,
        next(_response, records, token) {
          if (pageSize === undefined ? records.length === 0 : records.length < pageSize) return undefined;
          return Number(token ?? start) + 1;
        },
      };
    }
    default:
      return unsupported(node, where, ["CursorPagination", "OffsetIncrement", "PageIncrement"]);
  }
}
