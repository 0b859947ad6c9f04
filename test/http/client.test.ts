/**
 * The HTTP client against real sockets on 127.0.0.1: what it returns (status, lower-cased and
 * joined headers, the body's text), bodies cut short (transient NetworkErrors, never a partial
 * text), the idle deadline between body chunks, the keep-alive pool (connections kept for the
 * requests that follow, at most `connections` at once) and the request's own framing (a POST's
 * length).
 * Every server closes its sockets when its test ends; nothing asserts how long anything took.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectorError } from "../../src/errors.js";
import { HttpClient, NetworkError } from "../../src/http/client.js";
import { type TestServer, startTestServer } from "../helpers/test-server.js";

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A server on 127.0.0.1 answering with `handler`; closed (with its sockets) after the test. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<TestServer> {
  const server = await startTestServer(handler);
  cleanups.push(server.close);
  return server;
}

function client(options: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}): HttpClient {
  const http = new HttpClient({ timeoutMs: 5_000, ...options });
  cleanups.push(() => http.close());
  return http;
}

describe("answers", () => {
  it("returns the status, the headers lower-cased (repeated ones joined) and the body as text", async () => {
    const server = await serve((_req, res) => {
      res.setHeader("X-Rate-Info", ["a", "b"]);
      res.setHeader("Content-Type", "application/json; charset=utf-8");
      res.writeHead(201);
      res.end('{"data":{"name":"Zürich ✓"}}');
    });
    const result = await client().get(`${server.origin}/items`, {});
    expect(result.status).toBe(201);
    expect(result.headers["x-rate-info"]).toBe("a, b");
    expect(result.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(result.text)).toEqual({ data: { name: "Zürich ✓" } });
  });

  it("reassembles a body sent in many chunks, a character split across two of them included", async () => {
    const bytes = Buffer.from(`{"data":"${"é".repeat(5_000)}"}`);
    const server = await serve((_req, res) => {
      res.writeHead(200);
      // Odd-sized chunks split two-byte characters.
      for (let i = 0; i < bytes.length; i += 777) res.write(bytes.subarray(i, i + 777));
      res.end();
    });
    const result = await client().get(`${server.origin}/items`, {});
    expect(result.text).toBe(bytes.toString("utf8"));
  });

  it("drops a leading byte-order mark", async () => {
    const server = await serve((_req, res) => res.end('\ufeff{"data":[]}'));
    expect((await client().get(`${server.origin}/items`, {})).text).toBe('{"data":[]}');
  });

  it("sends the headers it is given and asks for JSON", async () => {
    let seen: IncomingMessage["headers"] = {};
    const server = await serve((req, res) => {
      seen = req.headers;
      res.end("{}");
    });
    await client().get(`${server.origin}/items?limit=100`, { authorization: "Bearer t0k3n", "asana-enable": "new_goal_memberships" });
    expect(seen.accept).toBe("application/json");
    expect(seen.authorization).toBe("Bearer t0k3n");
    expect(seen["asana-enable"]).toBe("new_goal_memberships");
  });

  it("sends a POST body with its length, not chunked", async () => {
    let seen: { headers: IncomingMessage["headers"]; body: string } | undefined;
    const server = await serve((req, res, body) => {
      seen = { headers: req.headers, body };
      res.end("{}");
    });
    const body = "grant_type=refresh_token&client_id=%C3%A9";
    await client().send({ method: "POST", url: `${server.origin}/token`, headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    expect(seen?.body).toBe(body);
    expect(seen?.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(seen?.headers["transfer-encoding"]).toBeUndefined();
  });
});

describe("bodies cut short", () => {
  it("a body shorter than its Content-Length: a NetworkError, not a partial text", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write('{"data":[');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await expect(client().get(`${server.origin}/items`, {})).rejects.toThrow(
      new NetworkError(`the connection to ${server.host} closed before the whole answer arrived (UND_ERR_SOCKET)`),
    );
  });

  it("a chunked body whose last chunk never comes: a NetworkError", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{"data":[');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await expect(client().get(`${server.origin}/items`, {})).rejects.toThrow(NetworkError);
  });

  it("a connection closed before any answer: a NetworkError", async () => {
    const server = await serve((req) => req.socket.destroy());
    await expect(client().get(`${server.origin}/items`, {})).rejects.toThrow(NetworkError);
  });

  it("a body that stops between two chunks fails at the idle deadline", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.write('{"data":[');
    });
    await expect(client({ idleTimeoutMs: 150 }).get(`${server.origin}/items`, {})).rejects.toThrow(
      /request timed out: no byte of the answer from http:\/\/127\.0\.0\.1:\d+ for 0\.15 s \(the idle deadline of a request\)/,
    );
  });

  it("nothing listening: a NetworkError naming the refusal", async () => {
    const server = await serve((_req, res) => res.end("{}"));
    const origin = server.origin;
    await cleanups.shift()?.();
    await expect(client().get(`${origin}/items`, {})).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("requests that cannot be sent", () => {
  it("a URL that does not parse: a system_error at once, not a retried network error", async () => {
    const error: unknown = await client().get("http//127.0.0.1:1/items", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).failureType).toBe("system_error");
    expect((error as ConnectorError).message).toBe("A request could not be sent: its URL is not a valid URL");
  });
});

describe("the connection pool", () => {
  it("sends requests in a row over kept-alive connections, not one per request", async () => {
    const server = await serve((_req, res) => res.end('{"data":[]}'));
    const http = client();
    for (let i = 0; i < 8; i++) expect((await http.get(`${server.origin}/items?offset=${i}`, {})).status).toBe(200);
    // undici may open a second one while the first is being released after its answer.
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it("opens at most `connections` at once", async () => {
    const server = await serve((_req, res) => setTimeout(() => res.end("{}"), 20));
    const http = client({ connections: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => http.get(`${server.origin}/items?i=${i}`, {})));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(server.peakOpen()).toBe(2);
  });

  it("the total deadline also ends a request still waiting for a connection", async () => {
    // The first request holds the only connection; the second waits behind it.
    const server = await serve(() => undefined);
    const http = client({ connections: 1, timeoutMs: 300, idleTimeoutMs: 60_000 });
    const results = await Promise.allSettled([http.get(`${server.origin}/first`, {}), http.get(`${server.origin}/second`, {})]);
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect(String((result as PromiseRejectedResult).reason)).toMatch(/no complete answer within 0.3 s \(the total deadline of a request\)/);
    }
  });

  it("close ends the pool's connections", async () => {
    let closed = 0;
    const server = await serve((req, res) => {
      req.socket.once("close", () => closed++);
      res.end("{}");
    });
    const http = new HttpClient({ timeoutMs: 5_000 });
    await http.get(`${server.origin}/items`, {});
    await http.close();
    await expect.poll(() => closed, { timeout: 2_000 }).toBe(1);
  });
});
