/**
 * Deterministic transient faults. Whether the k-th request (k = 0, 1, ...) for a URL (path and
 * query) fails, and how, is a seeded hash of (seed, URL, k): independent of how requests
 * interleave, and a retry of a failed request is a new attempt that usually succeeds.
 *
 *   500-html   500, an HTML page
 *   502 / 504  that status, a short HTML page (what a proxy in front of the API sends)
 *   503-json   503, Asana's error envelope (with `phrase`)
 *   reset      the status line, headers and half the body, then a TCP reset
 *   truncated  a Content-Length for the whole body, half of it, then the connection closes
 *   non-json   200 with `Content-Type: application/json` and an HTML body
 *   slow       the correct response, `slowMs` late
 */
import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { errorBody } from "./errors.js";
import type { FaultKind } from "./options.js";

/** The fault for attempt `attempt` (0-based) at `url`, or undefined when it goes through. */
export function faultFor(seed: number, url: string, attempt: number, rate: number, kinds: readonly FaultKind[]): FaultKind | undefined {
  if (rate <= 0 || kinds.length === 0) return undefined;
  const digest = createHash("sha256").update(`${seed}\n${url}\n${attempt}`).digest();
  const roll = digest.readUInt32BE(0) / 0x100000000;
  if (roll >= rate) return undefined;
  return kinds[digest.readUInt32BE(4) % kinds.length];
}

export class FaultInjector {
  private readonly attempts = new Map<string, number>();

  /** Forgets the attempt counts (the next request for every URL is attempt 0 again). */
  reset(): void {
    this.attempts.clear();
  }

  /** Counts one attempt at `url` and says whether it fails. */
  decide(url: string, config: { rate: number; kinds: readonly FaultKind[]; seed: number } | null): FaultKind | undefined {
    if (config === null || config.rate <= 0) return undefined;
    const attempt = this.attempts.get(url) ?? 0;
    this.attempts.set(url, attempt + 1);
    return faultFor(config.seed, url, attempt, config.rate, config.kinds);
  }
}

const HTML_PAGES: Readonly<Record<"500-html" | "502" | "504" | "non-json", string>> = {
  "500-html":
    "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n<body><h1>Internal Server Error</h1><p>The server encountered an internal error and was unable to complete your request.</p></body></html>\n",
  "502": "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
  "504": "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n",
  "non-json": "<!DOCTYPE html>\n<html><head><title>Asana</title></head><body><p>Asana is temporarily down for maintenance. Please try again in a few minutes.</p></body></html>\n",
};

function sendText(res: ServerResponse, status: number, contentType: string, text: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Sends half of `text` under a Content-Length for all of it, then resets or closes the connection. */
function sendBroken(res: ServerResponse, status: number, text: string, how: "reset" | "close"): void {
  const bytes = Buffer.from(text);
  res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", "Content-Length": bytes.length });
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
    const socket = res.socket;
    if (socket === null) return;
    if (how === "reset") socket.resetAndDestroy();
    else socket.end();
  });
}

/**
 * Writes the faulty response of `kind` (every kind but `slow`, which the caller handles by
 * delaying the correct response). `status` and `text` are the correct response. Returns the
 * status line sent.
 */
export function sendFault(res: ServerResponse, kind: Exclude<FaultKind, "slow">, status: number, text: string): number {
  switch (kind) {
    case "500-html":
      sendText(res, 500, "text/html; charset=UTF-8", HTML_PAGES["500-html"]);
      return 500;
    case "502":
    case "504":
      sendText(res, Number(kind), "text/html", HTML_PAGES[kind]);
      return Number(kind);
    case "503-json":
      sendText(res, 503, "application/json; charset=UTF-8", JSON.stringify(errorBody(503, "Service Unavailable")));
      return 503;
    case "non-json":
      sendText(res, 200, "application/json; charset=UTF-8", HTML_PAGES["non-json"]);
      return 200;
    case "reset":
      sendBroken(res, status, text, "reset");
      return status;
    case "truncated":
      sendBroken(res, status, text, "close");
      return status;
  }
}

/** The status line `sendFault` sends for `kind` when the correct response has `status`. */
export function faultStatus(kind: FaultKind, status: number): number {
  switch (kind) {
    case "500-html":
      return 500;
    case "502":
      return 502;
    case "503-json":
      return 503;
    case "504":
      return 504;
    case "non-json":
      return 200;
    case "reset":
    case "truncated":
    case "slow":
      return status;
  }
}
