/**
 * The HTTP client's deadlines and its non-transient failures, against real sockets on 127.0.0.1:
 * a server that trickles its body (the total deadline), one that never answers (the idle one),
 * plain http answering an https URL (a config_error, at once) and a redirect (never followed).
 * Each server closes its sockets when the test ends; the sender runs on a fake clock, so only the
 * client's own (short) deadlines take real time. Nothing asserts how long anything took.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { buildErrorHandler } from "../../src/declarative/error-handler.js";
import { ConnectorError } from "../../src/errors.js";
import { HttpClient, NetworkError } from "../../src/http/client.js";
import type { Clock } from "../../src/http/clock.js";
import { send } from "../../src/http/sender.js";
import { startTestServer } from "../helpers/test-server.js";

const instantClock: Clock = { now: () => 0, sleep: async () => undefined };
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A server on 127.0.0.1 answering with `handler`; closed (with its sockets) after the test. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ origin: string; requests: () => number }> {
  const server = await startTestServer(handler);
  cleanups.push(server.close);
  return { origin: server.host, requests: server.requests };
}

function client(options: ConstructorParameters<typeof HttpClient>[0]): HttpClient {
  const http = new HttpClient(options);
  cleanups.push(() => http.close());
  return http;
}

/** Sends a GET through the sender (default handler, `maxRetries` retries, fake clock). */
function sendGet(http: HttpClient, url: string, maxRetries: number) {
  return send(
    { method: "GET", url, headers: { authorization: "Bearer test-token" } },
    {
      transport: (r) => http.send(r),
      handler: buildErrorHandler({ type: "DefaultErrorHandler", max_retries: maxRetries }, "h", {}),
      limits: { maxRateLimitWaits: 0, backoffBaseSeconds: 1 },
      what: "items (whole stream)",
      clock: instantClock,
    },
  );
}

/** The ConnectorError `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error: unknown = await promise.catch((e: unknown) => e);
  if (!(error instanceof ConnectorError)) throw new Error(`expected a ConnectorError, got ${String(error)}`);
  return error;
}

describe("deadlines", () => {
  it("abandons an answer that trickles a byte at a time past the total deadline, and retries it as transient", async () => {
    const timers = new Set<NodeJS.Timeout>();
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{");
      // Never idle for long (a byte every 50 ms), never done.
      const timer = setInterval(() => res.write(" "), 50);
      timers.add(timer);
      res.on("close", () => clearInterval(timer));
    });
    cleanups.push(async () => timers.forEach(clearInterval));
    const http = client({ timeoutMs: 400, idleTimeoutMs: 5_000 });

    await expect(http.get(`http://${server.origin}/items`, {})).rejects.toThrow(NetworkError);
    const error = await failure(sendGet(http, `http://${server.origin}/items`, 1));
    expect(error.failureType).toBe("transient_error");
    expect(error.message).toMatch(/failed after 1 retries: network error: request timed out: no complete answer within 0.4 s/);
    expect(server.requests()).toBe(3);
  });

  it("fails a server that never sends headers at the idle deadline, once per attempt", async () => {
    const server = await serve(() => undefined);
    const http = client({ timeoutMs: 10_000, idleTimeoutMs: 150 });
    const error = await failure(sendGet(http, `http://${server.origin}/items`, 2));
    expect(error.failureType).toBe("transient_error");
    expect(error.message).toMatch(/failed after 2 retries: network error: request timed out: no answer from http:\/\/127\.0\.0\.1:\d+ within 0\.15 s \(the idle deadline of a request\) \(UND_ERR_HEADERS_TIMEOUT\)/);
    expect(server.requests()).toBe(3);
  });

  it("bounds the connect and idle deadlines by the total one", async () => {
    const server = await serve(() => undefined);
    // An idle deadline of 10 minutes would hold this request; the total deadline ends it.
    const http = client({ timeoutMs: 200, idleTimeoutMs: 600_000, connectTimeoutMs: 600_000 });
    await expect(http.get(`http://${server.origin}/items`, {})).rejects.toThrow(/no complete answer within 0.2 s \(the total deadline of a request\)/);
  });
});

describe("answers no retry can fix", () => {
  it("https to a port that speaks plain http: a config_error at once, without OpenSSL's words", async () => {
    const server = await serve((_req, res) => res.end("{}"));
    const http = client({ timeoutMs: 5_000 });
    let attempts = 0;
    const error = await failure(
      send(
        { method: "GET", url: `https://${server.origin}/api/1.0/items`, headers: {} },
        {
          transport: (r) => {
            attempts++;
            return http.send(r);
          },
          handler: buildErrorHandler(undefined, "h", {}),
          limits: { maxRateLimitWaits: 0, backoffBaseSeconds: 1 },
          what: "items",
          clock: instantClock,
        },
      ),
    );
    expect(error.failureType).toBe("config_error");
    expect(error.message).toBe(`TLS handshake failed: the server at ${server.origin} does not speak HTTPS; check base_url`);
    expect(error.message).not.toMatch(/SSL|ssl3|0A00010B|openssl/);
    expect(attempts).toBe(1);
    expect(server.requests()).toBe(0);
  });

  it("a redirect: a config_error naming the Location, not followed (the token stays put)", async () => {
    const elsewhere = await serve((_req, res) => res.end("{}"));
    const server = await serve((_req, res) => {
      res.writeHead(302, { location: `http://${elsewhere.origin}/api/1.0/items?x=1` });
      res.end();
    });
    const http = client({ timeoutMs: 5_000 });
    const error = await failure(sendGet(http, `http://${server.origin}/api/1.0/items`, 5));
    expect(error.failureType).toBe("config_error");
    expect(error.message).toContain(`the base URL is wrong: the server redirects to http://${elsewhere.origin}/api/1.0/items (HTTP 302)`);
    expect(server.requests()).toBe(1);
    expect(elsewhere.requests()).toBe(0);
  });

  it("a header value no header can carry: a system_error, not a retried network error", async () => {
    const server = await serve((_req, res) => res.end("{}"));
    const http = client({ timeoutMs: 5_000 });
    const error = await failure(http.get(`http://${server.origin}/items`, { authorization: "Bearer a\u200bb" }));
    expect(error.failureType).toBe("system_error");
    expect(error.message).not.toContain("\u200b");
    expect(server.requests()).toBe(0);
  });
});
