/**
 * HTTP requests over a keep-alive connection pool (undici). Returns status, lower-cased headers
 * and the body text; connection failures, timeouts and truncated bodies throw NetworkError so the
 * sender (sender.ts) can treat them as transient. The client knows nothing of retries or of what
 * an answer means: that is the sender's and the error handler's business.
 */
import { Agent, request } from "undici";

export interface HttpRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  /** The encoded body (POST). */
  body?: string;
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

export interface HttpClientOptions {
  /** Sockets per origin in a pool of this client's own; without it, undici's shared pool. */
  connections?: number;
  /** Time allowed for headers, and between body chunks, in ms. */
  timeoutMs: number;
}

export class HttpClient {
  private readonly agent: Agent | undefined;
  private readonly timeoutMs: number;

  constructor(options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.agent =
      options.connections === undefined
        ? undefined
        : new Agent({
            connections: options.connections,
            keepAliveTimeout: 30_000,
            headersTimeout: options.timeoutMs,
            bodyTimeout: options.timeoutMs,
          });
  }

  async send(req: HttpRequest): Promise<HttpResult> {
    try {
      const response = await request(req.url, {
        method: req.method,
        headers: { accept: "application/json", ...req.headers },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(req.body !== undefined ? { body: req.body } : {}),
        ...(this.agent ? { dispatcher: this.agent } : {}),
      });
      const text = await response.body.text();
      const flat: Record<string, string> = {};
      for (const [key, value] of Object.entries(response.headers)) {
        if (value !== undefined) flat[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
      }
      return { status: response.statusCode, headers: flat, text };
    } catch (error) {
      const code = (error as { code?: string }).code;
      const message = error instanceof Error ? error.message : String(error);
      throw new NetworkError(code ? `${code}: ${message}` : message);
    }
  }

  /** A GET (what the engine's requests are). */
  get(url: string, headers: Record<string, string>): Promise<HttpResult> {
    return this.send({ method: "GET", url, headers });
  }

  close(): Promise<void> {
    return this.agent ? this.agent.close() : Promise.resolve();
  }
}
