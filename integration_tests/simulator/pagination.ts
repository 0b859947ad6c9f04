/**
 * Asana's offset pagination: `limit` 1..100, opaque `offset` tokens, `next_page: {offset, path,
 * uri}` or `null` on the last page, and no `next_page` at all when no `limit` was given.
 *
 * An offset token is base64url JSON `{v, p, t, n, c}`: position, issue time (ms, simulated
 * clock), issue serial and a checksum over (secret, request scope, position, time, serial). A token
 * from another query, a tampered one or garbage fails the checksum and is rejected with 400; an
 * expired one (OffsetPolicy) with 400 `offset: Your pagination token has expired.`
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
  /** Position in the list. */
  p: number;
  /** Issue time, epoch ms on the simulated clock. */
  t: number;
  /** Issue serial (orders tokens for `expireOnce`). */
  n: number;
  c: string;
}

/** When offsets expire (see RuntimeOptions.offsetTtlMs / expireOffsetsOnce). */
export interface OffsetPolicy {
  ttlMs: number | null;
  expireOnce: boolean;
}

export const OFFSET_EXPIRED_MESSAGE = "offset: Your pagination token has expired.";

export class OffsetCodec {
  policy: OffsetPolicy = { ttlMs: null, expireOnce: false };
  private serial = 0;
  /** expireOnce: per scope, tokens with a serial up to this one are expired. */
  private readonly expiredUpTo = new Map<string, number>();
  /** Per scope, the one token `encodeFixed` hands out. */
  private readonly fixed = new Map<string, string>();

  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {}

  private checksum(scope: string, position: number, issued: number, serial: number): string {
    return createHash("sha256").update(`${this.secret}\n${scope}\n${position}\n${issued}\n${serial}`).digest("base64url").slice(0, 16);
  }

  encode(scope: string, position: number): string {
    const issued = Math.floor(this.now());
    const serial = ++this.serial;
    const body: TokenBody = { v: 1, p: position, t: issued, n: serial, c: this.checksum(scope, position, issued, serial) };
    return Buffer.from(JSON.stringify(body)).toString("base64url");
  }

  /** The same token for a scope every time (for lists that repeat their offset); never expires. */
  encodeFixed(scope: string, position: number): string {
    let token = this.fixed.get(scope);
    if (token === undefined) {
      token = this.encode(scope, position);
      this.fixed.set(scope, token);
    }
    return token;
  }

  /** Forgets which scopes already had their one expiry (expireOnce). */
  resetExpiry(): void {
    this.expiredUpTo.clear();
  }

  /**
   * The position a token stands for; 400 `offset: Invalid offset` when it is not ours for this
   * query, 400 `offset: Your pagination token has expired.` when the policy says it expired.
   */
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
    const { v, p, t, n, c } = body as Partial<TokenBody>;
    if (v !== 1 || typeof p !== "number" || !Number.isInteger(p) || p < 0 || typeof t !== "number" || typeof n !== "number" || typeof c !== "string") throw invalid;
    if (c !== this.checksum(scope, p, t, n)) throw invalid;
    if (this.fixed.get(scope) === token) return p;
    const expired = new ApiError(400, OFFSET_EXPIRED_MESSAGE);
    if (this.policy.ttlMs !== null && this.now() - t > this.policy.ttlMs) throw expired;
    if (this.policy.expireOnce) {
      const upTo = this.expiredUpTo.get(scope);
      if (upTo === undefined) {
        this.expiredUpTo.set(scope, this.serial);
        throw expired;
      }
      if (n <= upTo) throw expired;
    }
    return p;
  }
}

export interface PageRequest {
  limit: number | undefined;
  /** Start position (from a decoded offset), 0 for the first page. */
  start: number;
  /** Return a next_page even on the last page (a server stuck on one offset). */
  alwaysNext?: boolean;
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
  return { data, next_page: end < items.length || request.alwaysNext === true ? makeNext(end) : null };
}
