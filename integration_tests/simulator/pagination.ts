/**
 * Asana's offset pagination: `limit` 1..100, opaque `offset` tokens, `next_page: {offset, path,
 * uri}` or `null` on the last page, and no `next_page` at all when no `limit` was given.
 *
 * An offset token is base64url JSON `{v, p, t, c}`: position, issue time (seconds, for a later
 * expiry rule) and a checksum over (secret, request scope, position, time). A token from another
 * query, a tampered one or garbage fails the checksum and is rejected with 400.
 */
import { createHash } from "node:crypto";
import { ApiError } from "./errors.js";

export const MAX_LIMIT = 100;

export interface NextPage {
  offset: string;
  path: string;
  uri: string;
}

export interface Page<T> {
  data: T[];
  /** Absent when the request had no `limit`. */
  next_page?: NextPage | null;
}

/** Parses `limit`: undefined when absent; 400 unless an integer in 1..100. */
export function parseLimit(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new ApiError(400, `limit: Must be between 1 and ${MAX_LIMIT}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

interface TokenBody {
  v: 1;
  p: number;
  t: number;
  c: string;
}

export class OffsetCodec {
  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  private checksum(scope: string, position: number, issued: number): string {
    return createHash("sha256").update(`${this.secret}\n${scope}\n${position}\n${issued}`).digest("base64url").slice(0, 16);
  }

  encode(scope: string, position: number): string {
    const issued = Math.floor(this.now() / 1000);
    const body: TokenBody = { v: 1, p: position, t: issued, c: this.checksum(scope, position, issued) };
    return Buffer.from(JSON.stringify(body)).toString("base64url");
  }

  /** The position a token stands for; 400 `offset: Invalid offset` when it is not ours for this query. */
  decode(scope: string, token: string): number {
    const invalid = new ApiError(400, "offset: Invalid offset");
    if (!/^[A-Za-z0-9_-]{1,512}$/.test(token)) throw invalid;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    } catch {
      throw invalid;
    }
    if (typeof body !== "object" || body === null) throw invalid;
    const { v, p, t, c } = body as Partial<TokenBody>;
    if (v !== 1 || typeof p !== "number" || !Number.isInteger(p) || p < 0 || typeof t !== "number" || typeof c !== "string") throw invalid;
    if (c !== this.checksum(scope, p, t)) throw invalid;
    return p;
  }
}

export interface PageRequest {
  limit: number | undefined;
  /** Start position (from a decoded offset), 0 for the first page. */
  start: number;
}

/**
 * One page of `items`. `makeNext(position)` builds the next_page object for a later start.
 * `build` turns each item of the page into its output (so only the page is built).
 */
export function paginate<T, R>(items: readonly T[], request: PageRequest, build: (item: T) => R, makeNext: (position: number) => NextPage): Page<R> {
  const start = Math.min(request.start, items.length);
  if (request.limit === undefined) return { data: items.slice(start).map(build) };
  const end = Math.min(items.length, start + request.limit);
  const data = items.slice(start, end).map(build);
  return { data, next_page: end < items.length ? makeNext(end) : null };
}
