/**
 * The HTTP layer: node:http on 127.0.0.1.
 *
 * API requests (under /api/1.0) go through: bearer-token auth (PATs and unexpired OAuth access
 * tokens; 401) -> the per-token budget and concurrent-GET limit (429 + Retry-After) -> the
 * deterministic fault decision (faults.ts) -> partition faults (402/403/404) -> the route, with
 * Asana's envelopes and error bodies, and request accounting (stats.ts).
 *
 * Other paths on the same origin:
 *   POST /-/oauth_token            the OAuth token endpoint (oauth.ts), counted as tokenRequests
 *   ANY  /echo/...                 200, a list page echoing the request's headers and URL (a
 *   ANY  /echo-error/...           500, an HTML page with the request's headers   misconfigured base_url)
 *   /_sim/...                      control routes, not counted: GET stats, POST reset,
 *                                  POST mutate (JSON spec), GET|POST clock ({advanceMs}),
 *                                  POST configure (JSON options), POST expire-tokens
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SimClock } from "./clock.js";
import type { Dataset } from "./dataset.js";
import { ApiError, errorBody } from "./errors.js";
import { EventLog } from "./events.js";
import { FaultInjector, faultStatus, sendFault } from "./faults.js";
import { KIND } from "./gids.js";
import { type MutationResult, type MutationSpec, Mutator, parseMutationSpec } from "./mutations.js";
import { OAuthServer } from "./oauth.js";
import { applyOptions, type FaultKind, OptionsError, type PartitionFault, type RuntimeConfig } from "./options.js";
import { OffsetCodec } from "./pagination.js";
import { RATE_LIMIT_MESSAGE, RateLimiter } from "./ratelimit.js";
import { matchRoute, partitionGids, type RouteResult } from "./routes.js";
import { StatsRecorder } from "./stats.js";

export const API_PREFIX = "/api/1.0";
export const TOKEN_PATH = "/-/oauth_token";
export const ECHO_PREFIX = "/echo";
export const ECHO_ERROR_PREFIX = "/echo-error";
const CONTROL_PREFIX = "/_sim/";
const MAX_BODY_BYTES = 1 << 20;

export const PAYMENT_REQUIRED_MESSAGE =
  "The request was valid, but the queried object or object mutation specified in the request is only available to premium organizations and workspaces.";

/** Type names for 404 messages, by gid kind. */
const KIND_NAMES: Readonly<Record<number, string>> = {
  [KIND.workspace]: "workspace",
  [KIND.user]: "user",
  [KIND.team]: "team",
  [KIND.teamMembership]: "team_membership",
  [KIND.workspaceMembership]: "workspace_membership",
  [KIND.project]: "project",
  [KIND.section]: "section",
  [KIND.task]: "task",
  [KIND.tag]: "tag",
  [KIND.story]: "story",
  [KIND.taskAttachment]: "attachment",
  [KIND.projectAttachment]: "attachment",
  [KIND.projectTemplate]: "project_template",
  [KIND.statusUpdate]: "status_update",
  [KIND.webhook]: "webhook",
  [KIND.customField]: "custom_field",
  [KIND.taskTemplate]: "task_template",
  [KIND.portfolio]: "portfolio",
  [KIND.goal]: "goal",
  [KIND.goalRelationship]: "goal_relationship",
  [KIND.timePeriod]: "time_period",
};

export interface ServerOptions {
  dataset: Dataset;
  tokens: readonly string[];
  /** Accepted service-account tokens (they list every portfolio and may read the audit log). */
  serviceAccountTokens: readonly string[];
  /** 0 = a free port. */
  port: number;
  config: RuntimeConfig;
  clock: SimClock;
}

export class SimulatorServer {
  readonly stats = new StatsRecorder();
  readonly clock: SimClock;
  readonly limiter = new RateLimiter();
  readonly faults = new FaultInjector();
  readonly oauth: OAuthServer;
  readonly events: EventLog;
  readonly mutator: Mutator;
  private readonly server: Server;
  private readonly offsets: OffsetCodec;
  private config!: RuntimeConfig;
  private repeatOffsetFor: ReadonlySet<string> = new Set();
  private partitionFaults = new Map<string, PartitionFault>();
  private port = 0;

  constructor(private readonly options: ServerOptions) {
    const secret = `asana-simulator:${options.dataset.seed}:${options.dataset.size}`;
    this.clock = options.clock;
    this.offsets = new OffsetCodec(secret, () => this.clock.now());
    this.events = new EventLog(`${secret}:events`);
    this.mutator = new Mutator(options.dataset, this.events);
    this.oauth = new OAuthServer(() => this.clock.now());
    this.setConfig(options.config);
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get apiBase(): string {
    return `${this.origin}${API_PREFIX}`;
  }

  /** The current runtime configuration. */
  get currentConfig(): RuntimeConfig {
    return this.config;
  }

  /** Applies partial runtime options (typed, or JSON from /_sim/configure); throws OptionsError. */
  configure(partial: unknown): RuntimeConfig {
    const next = applyOptions(this.config, partial);
    const input = partial as Record<string, unknown>;
    if ("faults" in input) this.faults.reset();
    if ("expireOffsetsOnce" in input) this.offsets.resetExpiry();
    if ("budget" in input) this.limiter.reset();
    this.setConfig(next);
    return next;
  }

  private setConfig(config: RuntimeConfig): void {
    this.config = config;
    this.offsets.policy = { ttlMs: config.offsetTtlMs, expireOnce: config.expireOffsetsOnce };
    this.repeatOffsetFor = new Set(config.repeatOffsetFor);
    const partitions = new Map<string, PartitionFault>();
    for (const fault of config.partitionFaults) for (const gid of fault.gids) partitions.set(gid, fault);
    this.partitionFaults = partitions;
  }

  mutate(spec: MutationSpec): MutationResult {
    return this.mutator.apply(spec, this.clock.now());
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
    const path = url.pathname;
    if (path.startsWith(CONTROL_PREFIX)) this.withBody(req, res, (body) => this.control(method, url, body, res));
    else if (path === TOKEN_PATH && method === "POST") this.withBody(req, res, (body) => this.token(req, body, res));
    else if (path.startsWith(`${ECHO_PREFIX}/`) || path.startsWith(`${ECHO_ERROR_PREFIX}/`)) this.withBody(req, res, (body) => this.echo(req, method, path, body, res));
    else this.api(req, res, method, url);
  }

  // --- the API -----------------------------------------------------------------------------------

  private api(req: IncomingMessage, res: ServerResponse, method: string, url: URL): void {
    const end = this.stats.begin();
    res.once("close", end);
    const config = this.config;
    const inApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const path = inApi ? url.pathname.slice(API_PREFIX.length) || "/" : url.pathname;
    const match = inApi ? matchRoute(method, path) : undefined;
    const routeKey = match === undefined ? `${method} (unmatched)` : `${method} ${match.route.pattern}`;
    const pretty = url.searchParams.has("opt_pretty") && url.searchParams.get("opt_pretty") !== "false";
    const reply = (result: RouteResult, options: { headers?: Record<string, string>; fault?: FaultKind; immediate?: boolean } = {}): void => {
      const fault = options.fault;
      this.stats.record(routeKey, fault === undefined ? result.status : faultStatus(fault, result.status));
      if (fault !== undefined) this.stats.fault(fault);
      const text = pretty ? JSON.stringify(result.body, null, 2) : JSON.stringify(result.body);
      const send = (): void => {
        if (res.destroyed) return;
        if (fault === undefined || fault === "slow") sendText(res, result.status, text, options.headers);
        else sendFault(res, fault, result.status, text);
      };
      // Responses go out after the current I/O phase (or after the configured latency), so requests
      // that arrived together overlap and peakConcurrency reflects the client's parallelism.
      const delay = (options.immediate === true ? 0 : config.latencyMs) + (fault === "slow" ? config.slowMs : 0);
      if (delay > 0) setTimeout(send, delay);
      else setImmediate(send);
    };
    const error = (status: number, message: string): RouteResult => ({ status, body: errorBody(status, message) });

    if (!inApi) return reply(error(404, "No matching route for request"));
    const token = bearer(req.headers.authorization);
    const serviceAccount = token !== undefined && this.options.serviceAccountTokens.includes(token);
    if (token === undefined || !(serviceAccount || this.options.tokens.includes(token) || this.oauth.accepts(token))) return reply(error(401, "Not Authorized"));
    const admission = this.limiter.admit(token, method, config.budget, config.maxConcurrentGets);
    if (!admission.ok) return reply(error(429, RATE_LIMIT_MESSAGE), { headers: { "Retry-After": String(admission.retryAfterSeconds) }, immediate: true });
    res.once("close", admission.release);
    const fault = this.faults.decide(req.url ?? url.pathname, config.faults);
    const faultOption = fault === undefined ? {} : { fault };
    const partition = this.partitionFault(path, url.searchParams);
    if (partition !== undefined) return reply(partition, faultOption);
    if (match === undefined) return reply(error(404, "No matching route for request"), faultOption);
    try {
      const result = match.route.handle({
        dataset: this.options.dataset,
        params: match.params,
        query: url.searchParams,
        path,
        apiBase: this.apiBase,
        offsets: this.offsets,
        events: this.events,
        now: () => this.clock.now(),
        repeatOffsetFor: this.repeatOffsetFor,
        viewer: serviceAccount ? "service_account" : "personal",
      });
      reply(result, faultOption);
    } catch (caught) {
      if (caught instanceof ApiError) return reply(error(caught.status, caught.message), faultOption);
      const message = caught instanceof Error ? caught.message : String(caught);
      console.error(`asana simulator: ${method} ${url.pathname}: ${message}`);
      reply(error(500, "Server Error"), faultOption);
    }
  }

  /** The configured failure for a request naming a victim gid, if any. */
  private partitionFault(path: string, query: URLSearchParams): RouteResult | undefined {
    if (this.partitionFaults.size === 0) return undefined;
    for (const { gid, param } of partitionGids(path, query)) {
      const fault = this.partitionFaults.get(gid);
      if (fault === undefined) continue;
      let message = fault.message;
      if (message === undefined) {
        if (fault.status === 402) message = PAYMENT_REQUIRED_MESSAGE;
        else if (fault.status === 403) message = "Forbidden";
        else {
          const kind = this.options.dataset.gids.decode(gid)?.kind;
          message = `${param ?? (kind === undefined ? undefined : KIND_NAMES[kind]) ?? "object"}: Not a recognized ID: ${gid}`;
        }
      }
      return { status: fault.status, body: errorBody(fault.status, message) };
    }
    return undefined;
  }

  // --- OAuth, echo and control routes --------------------------------------------------------------

  private token(req: IncomingMessage, body: string, res: ServerResponse): void {
    this.stats.tokenRequest();
    const user = this.options.dataset.facts.user(this.options.dataset.me);
    const result = this.oauth.handle(body, req.headers["content-type"], req.headers.authorization, this.config.oauth, { gid: user.gid, name: user.name, email: user.email });
    sendText(res, result.status, JSON.stringify(result.body), { "Cache-Control": "no-store" });
  }

  private echo(req: IncomingMessage, method: string, path: string, body: string, res: ServerResponse): void {
    const url = req.url ?? path;
    if (path.startsWith(`${ECHO_ERROR_PREFIX}/`)) {
      this.stats.record(`${method} ${ECHO_ERROR_PREFIX}/{path}`, 500);
      const page = `<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1>\n<p>${escapeHtml(`${method} ${url}`)}</p>\n<pre>${escapeHtml(JSON.stringify(req.headers, null, 2))}</pre>\n<pre>${escapeHtml(body)}</pre></body></html>\n`;
      res.writeHead(500, { "Content-Type": "text/html; charset=UTF-8", "Content-Length": Buffer.byteLength(page) });
      res.end(page);
      return;
    }
    this.stats.record(`${method} ${ECHO_PREFIX}/{path}`, 200);
    const echo: Record<string, unknown> = { method, headers: req.headers, url };
    if (body !== "") echo.body = body;
    sendText(res, 200, JSON.stringify({ data: [{ gid: "1", echo }], next_page: null }));
  }

  private control(method: string, url: URL, body: string, res: ServerResponse): void {
    const path = url.pathname;
    const parse = (): unknown => (body.trim() === "" ? {} : (JSON.parse(body) as unknown));
    try {
      if (method === "GET" && path === "/_sim/stats") return sendText(res, 200, JSON.stringify(this.stats.snapshot()));
      if (method === "POST" && path === "/_sim/reset") {
        this.stats.reset();
        return sendText(res, 200, JSON.stringify({ ok: true }));
      }
      if (method === "POST" && path === "/_sim/mutate") return sendText(res, 200, JSON.stringify(this.mutate(parseMutationSpec(parse()))));
      if (path === "/_sim/clock" && (method === "GET" || method === "POST")) {
        if (method === "POST") {
          const input = parse() as { advanceMs?: unknown };
          if (typeof input.advanceMs !== "number") throw new OptionsError("advanceMs must be a number");
          this.clock.advance(input.advanceMs);
        }
        return sendText(res, 200, JSON.stringify({ now: this.clock.now(), iso: new Date(this.clock.now()).toISOString() }));
      }
      if (method === "POST" && path === "/_sim/configure") return sendText(res, 200, JSON.stringify(this.configure(parse())));
      if (method === "POST" && path === "/_sim/expire-tokens") {
        this.oauth.expireAll();
        return sendText(res, 200, JSON.stringify({ ok: true }));
      }
      sendText(res, 404, JSON.stringify(errorBody(404, "No matching route for request")));
    } catch (caught) {
      const message = caught instanceof Error ? caught.message : String(caught);
      sendText(res, 400, JSON.stringify(errorBody(400, message)));
    }
  }

  /** Reads a request body (up to 1 MiB; 413 beyond) and hands it on. */
  private withBody(req: IncomingMessage, res: ServerResponse, then: (body: string) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES && !failed) {
        failed = true;
        sendText(res, 413, JSON.stringify(errorBody(413, "Request body too large")));
        req.resume();
      } else if (!failed) chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) then(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", () => {
      failed = true;
    });
  }
}

function bearer(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match === null ? undefined : match[1];
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "Content-Type": "application/json; charset=UTF-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
