/**
 * The HTTP layer: node:http on 127.0.0.1, bearer-token auth, routing under /api/1.0, Asana's
 * envelopes and error bodies, request accounting, and the control routes under /_sim (not
 * counted): `GET /_sim/stats`, `POST /_sim/reset`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Dataset } from "./dataset.js";
import { ApiError, errorBody } from "./errors.js";
import { OffsetCodec } from "./pagination.js";
import { matchRoute, type RouteResult } from "./routes.js";
import { StatsRecorder } from "./stats.js";

export const API_PREFIX = "/api/1.0";
const CONTROL_PREFIX = "/_sim/";

export interface ServerOptions {
  dataset: Dataset;
  tokens: readonly string[];
  /** 0 = a free port. */
  port: number;
  /** Delay before each API response is sent (simulated network and server time). */
  latencyMs: number;
}

export class SimulatorServer {
  readonly stats = new StatsRecorder();
  private readonly server: Server;
  private readonly offsets: OffsetCodec;
  private port = 0;

  constructor(private readonly options: ServerOptions) {
    this.offsets = new OffsetCodec(`asana-simulator:${options.dataset.seed}:${options.dataset.size}`);
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
  }

  get apiBase(): string {
    return `http://127.0.0.1:${this.port}${API_PREFIX}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      this.control(method, url.pathname, res);
      return;
    }
    const end = this.stats.begin();
    res.once("close", end);
    const { routeKey, result } = this.dispatch(method, url, req.headers.authorization);
    this.stats.record(routeKey, result.status);
    const pretty = url.searchParams.has("opt_pretty") && url.searchParams.get("opt_pretty") !== "false";
    const send = (): void => sendJson(res, result.status, result.body, pretty);
    // Responses go out after the current I/O phase (or after the configured latency), so requests
    // that arrived together overlap and peakConcurrency reflects the client's parallelism.
    if (this.options.latencyMs > 0) setTimeout(send, this.options.latencyMs);
    else setImmediate(send);
  }

  private dispatch(method: string, url: URL, authorization: string | undefined): { routeKey: string; result: RouteResult } {
    const inApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const path = inApi ? url.pathname.slice(API_PREFIX.length) || "/" : url.pathname;
    const match = inApi ? matchRoute(method, path) : undefined;
    const routeKey = match === undefined ? `${method} (unmatched)` : `${method} ${match.route.pattern}`;
    try {
      if (!inApi) throw new ApiError(404, "No matching route for request");
      if (!this.authorized(authorization)) throw new ApiError(401, "Not Authorized");
      if (match === undefined) throw new ApiError(404, "No matching route for request");
      const result = match.route.handle({
        dataset: this.options.dataset,
        params: match.params,
        query: url.searchParams,
        path,
        apiBase: this.apiBase,
        offsets: this.offsets,
      });
      return { routeKey, result };
    } catch (error) {
      if (error instanceof ApiError) return { routeKey, result: { status: error.status, body: errorBody(error.status, error.message) } };
      const message = error instanceof Error ? error.message : String(error);
      console.error(`asana simulator: ${method} ${url.pathname}: ${message}`);
      return { routeKey, result: { status: 500, body: errorBody(500, "Server Error") } };
    }
  }

  private authorized(header: string | undefined): boolean {
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match !== null && this.options.tokens.includes(match[1]!);
  }

  private control(method: string, path: string, res: ServerResponse): void {
    if (method === "GET" && path === "/_sim/stats") sendJson(res, 200, this.stats.snapshot(), false);
    else if (method === "POST" && path === "/_sim/reset") {
      this.stats.reset();
      sendJson(res, 200, { ok: true }, false);
    } else sendJson(res, 404, errorBody(404, "No matching route for request"), false);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, pretty: boolean): void {
  const text = pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=UTF-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}
