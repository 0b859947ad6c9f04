/**
 * HTTP requests over a keep-alive connection pool (undici). Returns status, lower-cased headers
 * and the body text; connection failures, timeouts and truncated bodies throw NetworkError so the
 * sender (sender.ts) can treat them as transient. The client knows nothing of retries or of what
 * an answer means: that is the sender's and the error handler's business. Two failures are not
 * transient and are never NetworkErrors, since sending again cannot change them: an https URL
 * whose server speaks plain http (a config_error naming the host) and a header value no HTTP
 * header can carry (a system_error; the authenticators check credentials before, naming the field).
 *
 * Every request has three deadlines:
 *   - connect: the TCP and TLS handshakes (`connectTimeoutMs`, default 10 s);
 *   - idle: the time without a byte, waiting for the headers and between two body chunks
 *     (`idleTimeoutMs`, default 30 s), so a dead server fails in 30 s;
 *   - total: from sending to the last byte of the body (`timeoutMs`), so a server that trickles
 *     a byte every few seconds (never idle for long) cannot hold a request forever.
 * The connect and idle deadlines never exceed the total one.
 */
import { createRequire } from "node:module";
import type { Agent as UndiciAgent, Dispatcher } from "undici";
import { ConnectorError, configError, systemError } from "../errors.js";

// undici's connection pool, loaded from its module: undici's index also loads fetch, WebSocket,
// EventSource, cookies, caches and mocks, ~40 ms of CPU at every start for nothing this client
// uses. Requests go through the pool's `dispatch` with a handler (undici's documented low-level
// API): the answer's status, headers and chunks arrive as calls, without the body stream, promise
// and abort signal of its `request` API (6-8 % less CPU in a medium sync).
const require = createRequire(import.meta.url);
const Agent = require("undici/lib/dispatcher/agent.js") as typeof UndiciAgent;

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  /** The encoded body (POST). */
  body?: string;
  /** `url`'s origin and path (with its query), when the caller has them: `url` is not parsed again. */
  target?: RequestTarget;
}

/** Where a request goes, as undici takes it. */
export interface RequestTarget {
  origin: string;
  path: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** What the sender sends through: a client, or a fake in tests. */
export type Transport = (request: HttpRequest) => Promise<HttpResult>;

export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkError";
  }
}

/** Default connect deadline (ms): TCP and TLS handshakes. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Default idle deadline (ms): no byte of the answer for this long. */
export const IDLE_TIMEOUT_MS = 30_000;

export interface HttpClientOptions {
  /** Sockets per origin in this client's pool; without it, as many as the requests in flight. */
  connections?: number;
  /** Total deadline of one request (ms): from sending it to the last byte of its answer. */
  timeoutMs: number;
  /** Connect deadline (ms); default CONNECT_TIMEOUT_MS, at most `timeoutMs`. */
  connectTimeoutMs?: number;
  /** Idle deadline (ms): for the headers, and between body chunks; default IDLE_TIMEOUT_MS, at most `timeoutMs`. */
  idleTimeoutMs?: number;
}

/** OpenSSL's words for a TLS handshake answered by something that is not TLS (plain http). */
const NOT_TLS_CODES = new Set(["ERR_SSL_WRONG_VERSION_NUMBER", "ERR_SSL_PACKET_LENGTH_TOO_LONG", "ERR_SSL_HTTP_REQUEST"]);
const NOT_TLS_TEXT = /wrong version number|packet length too long|unknown protocol/i;

/** A body's text: UTF-8, without a leading byte-order mark (as a WHATWG decoder reads it). */
function bodyText(chunks: Buffer[]): string {
  const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A URL's origin and path with its query (its fragment is not sent). */
export function targetOf(url: URL): RequestTarget {
  return { origin: url.origin, path: url.search ? `${url.pathname}${url.search}` : url.pathname };
}

/**
 * One answer, collected through undici's handler protocol: its status, headers and body chunks
 * arrive as calls, without a body stream in between. Calls `done` with the answer, or `failed`
 * with what went wrong.
 */
class AnswerCollector implements Dispatcher.DispatchHandler {
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private chunks: Buffer[] = [];
  private controller: Dispatcher.DispatchController | undefined;
  private abandoned: Error | undefined;

  constructor(
    private readonly done: (result: HttpResult) => void,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** Stops the request: now if it is under way, else as soon as it gets a connection. */
  abandon(reason: Error): void {
    this.abandoned = reason;
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abandoned) controller.abort(this.abandoned);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // A 1xx answer is followed by the real one: only the last counts.
    this.status = statusCode;
    this.headers = headers;
    this.chunks = [];
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    let result: HttpResult;
    try {
      const flat: Record<string, string> = {};
      for (const [key, value] of Object.entries(this.headers)) {
        if (value !== undefined) flat[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
      }
      result = { status: this.status, headers: flat, text: bodyText(this.chunks) };
    } catch (error) {
      // Never left pending: a body that cannot become text fails like any other network error.
      this.failed(error);
      return;
    }
    this.done(result);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.failed(error);
  }
}

/** `host:port` of a URL, with the scheme's default port when it names none. */
function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}

export class HttpClient {
  private readonly agent: UndiciAgent;
  private readonly timeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly connectTimeoutMs: number;

  constructor(options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.idleTimeoutMs = Math.min(options.idleTimeoutMs ?? IDLE_TIMEOUT_MS, options.timeoutMs);
    this.connectTimeoutMs = Math.min(options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, options.timeoutMs);
    this.agent = new Agent({
      ...(options.connections === undefined ? {} : { connections: options.connections }),
      keepAliveTimeout: 30_000,
      connect: { timeout: this.connectTimeoutMs },
      headersTimeout: this.idleTimeoutMs,
      bodyTimeout: this.idleTimeoutMs,
    });
  }

  send(req: HttpRequest): Promise<HttpResult> {
    return new Promise<HttpResult>((resolve, reject) => {
      let settled = false;
      let pastDeadline = false;
      const once =
        <T>(then: (value: T) => void) =>
        (value: T): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          then(value);
        };
      const fail = once((error: unknown) => reject(this.failure(req, error, pastDeadline)));
      const answer = new AnswerCollector(once(resolve), fail);
      // The total deadline: aborts the request, or the reading of its body, when it passes (a
      // request still waiting for a connection is failed at once, and aborted when it gets one).
      const timer = setTimeout(() => {
        pastDeadline = true;
        const error = new Error("past the total deadline");
        answer.abandon(error);
        fail(error);
      }, this.timeoutMs);
      try {
        const { origin, path } = req.target ?? targetOf(new URL(req.url));
        this.agent.dispatch(
          {
            origin,
            path,
            method: req.method,
            headers: { accept: "application/json", ...req.headers },
            headersTimeout: this.idleTimeoutMs,
            bodyTimeout: this.idleTimeoutMs,
            ...(req.body !== undefined ? { body: req.body } : {}),
          },
          answer,
        );
      } catch (error) {
        fail(error);
      }
    });
  }

  /** What a failed request throws: a NetworkError (transient), or a ConnectorError sending again cannot fix. */
  private failure(req: HttpRequest, error: unknown, pastDeadline: boolean): Error {
    if (error instanceof ConnectorError) return error;
    if (pastDeadline) {
      return new NetworkError(`request timed out: no complete answer within ${this.timeoutMs / 1000} s (the total deadline of a request)`);
    }
    const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
    const message = error instanceof Error ? error.message : String(error);
    // Never throws (it runs in undici's callbacks and timers): a URL that does not parse is not
    // sent, and sending again cannot change it.
    if (!URL.canParse(req.url)) return systemError("A request could not be sent: its URL is not a valid URL", message);
    const url = new URL(req.url);
    if (url.protocol === "https:" && ((code !== undefined && NOT_TLS_CODES.has(code)) || NOT_TLS_TEXT.test(message))) {
      return configError(
        `TLS handshake failed: the server at ${hostPort(url)} does not speak HTTPS; check base_url`,
        code ?? "TLS handshake failed",
      );
    }
    if (code === "UND_ERR_INVALID_ARG") {
      // undici's words name the header, never its value: "invalid authorization header".
      return systemError(`The request to ${url.origin} could not be sent: ${message}`);
    }
    const words = code === undefined ? undefined : this.deadlineWords(code, url);
    if (words) return new NetworkError(`${words} (${code})`);
    return new NetworkError(code ? `${code}: ${message}` : message);
  }

  /** What undici's deadline and cut-connection codes mean, in the words of this client's deadlines. */
  private deadlineWords(code: string, url: URL): string | undefined {
    const idle = `${this.idleTimeoutMs / 1000} s (the idle deadline of a request)`;
    switch (code) {
      case "UND_ERR_HEADERS_TIMEOUT":
        return `request timed out: no answer from ${url.origin} within ${idle}`;
      case "UND_ERR_BODY_TIMEOUT":
        return `request timed out: no byte of the answer from ${url.origin} for ${idle}`;
      case "UND_ERR_CONNECT_TIMEOUT":
        return `connection timed out: no connection to ${hostPort(url)} within ${this.connectTimeoutMs / 1000} s (the connect deadline)`;
      case "UND_ERR_SOCKET":
        return `the connection to ${hostPort(url)} closed before the whole answer arrived`;
      default:
        return undefined;
    }
  }

  /** A GET (what the engine's requests are). */
  get(url: string, headers: Record<string, string>, target?: RequestTarget): Promise<HttpResult> {
    return this.send(target ? { method: "GET", url, headers, target } : { method: "GET", url, headers });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
