/**
 * Paginators, with Airbyte's semantics: DefaultPaginator with a CursorPagination, OffsetIncrement or
 * PageIncrement strategy, and NoPagination. The engine asks a paginator what to add to a request
 * for a page token and, after the page, for the next token. A token of `undefined` means "the
 * first page"; `next` returns the next token or `undefined` to stop.
 */
import { systemError } from "../errors.js";
import { interpolate, interpolateBoolean, interpolateString, type InterpolationContext } from "../manifest/interpolation.js";
import type {
  CursorPagination,
  DefaultPaginator,
  OffsetIncrement,
  PageIncrement,
} from "../manifest/components.generated.js";
import { type Config, type Registry, buildWith, child, nodeType, optionalChild, optionalString, rejectUnread } from "./node.js";
import type { ApiRecord } from "./record-selector.js";
import { RequestOption, type RequestParts, emptyParts } from "./request-option.js";

export interface PageResponse {
  body: unknown;
  headers: Record<string, string>;
}

export interface PageRequest extends RequestParts {
  /** With RequestPath: the full URL or path of the next page. */
  path?: string;
}

export interface Paginator {
  /** False for NoPagination: one answer per partition, which may be a single object (a lookup). */
  readonly paginates: boolean;
  request(token: unknown): PageRequest;
  /** The token after the page fetched with `token`; `undefined` ends the partition. */
  next(response: PageResponse, records: ApiRecord[], token: unknown): unknown;
}

export interface PaginationStrategy {
  readonly pageSize: number | undefined;
  readonly injectOnFirstRequest: boolean;
  initialToken(): unknown;
  next(response: PageResponse, records: ApiRecord[], token: unknown): unknown;
}

const noPagination: Paginator = {
  paginates: false,
  request: () => emptyParts(),
  next: () => undefined,
};

export function buildPaginator(node: object | undefined, where: string, config: Config): Paginator {
  return node ? buildWith(PAGINATORS, node, where, config) : noPagination;
}

function defaultPaginator(node: DefaultPaginator, where: string, config: Config): Paginator {
  rejectUnread(node, "DefaultPaginator", where, ["pagination_strategy", "page_size_option", "page_token_option"]);
  const strategy = buildWith(PAGINATION_STRATEGIES, child(node, "pagination_strategy", where), `${where}.pagination_strategy`, config);
  const sizeNode = optionalChild(node, "page_size_option", where);
  const sizeOption = sizeNode ? RequestOption.from(sizeNode, `${where}.page_size_option`) : undefined;
  const tokenNode = optionalChild(node, "page_token_option", where);
  const tokenIsPath = tokenNode !== undefined && nodeType(tokenNode) === "RequestPath";
  const tokenOption = tokenNode && !tokenIsPath ? RequestOption.from(tokenNode, `${where}.page_token_option`) : undefined;
  return {
    paginates: true,
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

/** `paginator` components. */
export const PAGINATORS = {
  DefaultPaginator: defaultPaginator,
  NoPagination: () => noPagination,
} satisfies Registry<Config, Paginator>;

function pageSizeOf(node: { page_size?: number | string }, where: string, config: Config): number | undefined {
  const raw = interpolate(node.page_size, { config });
  if (raw === undefined || raw === null) return undefined;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1) throw systemError(`Manifest: ${where}.page_size must be a positive integer`);
  return size;
}

function cursorPagination(node: CursorPagination, where: string, config: Config): PaginationStrategy {
  rejectUnread(node, "CursorPagination", where, ["cursor_value", "page_size", "stop_condition"]);
  const pageSize = pageSizeOf(node, where, config);
  const cursorValue = optionalString(node, "cursor_value", where);
  if (!cursorValue) throw systemError(`Manifest: ${where}.cursor_value is required`);
  const stop: unknown = node.stop_condition;
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

function offsetIncrement(node: OffsetIncrement, where: string, config: Config): PaginationStrategy {
  rejectUnread(node, "OffsetIncrement", where, ["page_size", "inject_on_first_request"]);
  const pageSize = pageSizeOf(node, where, config);
  return {
    pageSize,
    injectOnFirstRequest: node.inject_on_first_request === true,
    initialToken: () => 0,
    next(_response, records, token) {
      if (pageSize === undefined ? records.length === 0 : records.length < pageSize) return undefined;
      return Number(token ?? 0) + records.length;
    },
  };
}

function pageIncrement(node: PageIncrement, where: string, config: Config): PaginationStrategy {
  rejectUnread(node, "PageIncrement", where, ["page_size", "start_from_page", "inject_on_first_request"]);
  const pageSize = pageSizeOf(node, where, config);
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

/** `pagination_strategy` components of a DefaultPaginator. */
export const PAGINATION_STRATEGIES = {
  CursorPagination: cursorPagination,
  OffsetIncrement: offsetIncrement,
  PageIncrement: pageIncrement,
} satisfies Registry<Config, PaginationStrategy>;
