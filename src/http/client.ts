/**
 * HTTP GET over a keep-alive connection pool (undici). Returns status, lower-cased headers and the
 * body text; connection failures, timeouts and truncated bodies throw NetworkError so the retry
 * policy can treat them as transient.
 */
import { Agent, request } from "undici";

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkError";
  }
}

export interface HttpClientOptions {
  /** Sockets per origin. */
  connections: number;
  /** Time allowed for headers, and between body chunks, in ms. */
  timeoutMs: number;
}

export class HttpClient {
  private readonly agent: Agent;

  constructor(options: HttpClientOptions) {
    this.agent = new Agent({
      connections: options.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  async get(url: string, headers: Record<string, string>): Promise<HttpResult> {
    try {
      const response = await request(url, {
        method: "GET",
        headers: { accept: "application/json", ...headers },
        dispatcher: this.agent,
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

  close(): Promise<void> {
    return this.agent.close();
  }
}
