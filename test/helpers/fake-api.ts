/**
 * A tiny scripted HTTP server on 127.0.0.1 for answers the simulator does not give (HTML error
 * pages, 200 with a body that is not JSON, wrong JSON shapes, an API message that repeats the
 * token, a broken OAuth token endpoint). Each request is answered by the first route whose
 * method and path prefix match; unmatched requests get 404. Every request is counted, so a test
 * can assert that none was made.
 */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FakeRoute {
  method?: string;
  /** Path prefix under the origin, e.g. "/api/1.0/workspaces". */
  path: string;
  /** A fixed answer, or one computed from the request (its headers and body). */
  answer: FakeAnswer | ((req: IncomingMessage, body: string) => FakeAnswer);
}

export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

export interface FakeApi {
  origin: string;
  /** `${origin}/api/1.0`: the base_url to put in a config. */
  baseUrl: string;
  /** Replaces the routes (the server keeps running). */
  setRoutes(routes: FakeRoute[]): void;
  requests(): SeenRequest[];
  reset(): void;
  close(): Promise<void>;
}

export const json = (status: number, value: unknown, headers: Record<string, string> = {}): FakeAnswer => ({
  status,
  body: JSON.stringify(value),
  headers: { "content-type": "application/json; charset=UTF-8", ...headers },
});

export const html = (status: number, page: string): FakeAnswer => ({
  status,
  body: page,
  headers: { "content-type": "text/html; charset=UTF-8" },
});

export async function startFakeApi(initial: FakeRoute[] = []): Promise<FakeApi> {
  let routes = initial;
  let seen: SeenRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1 << 20) chunks.push(chunk);
    });
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const method = req.method ?? "GET";
      const url = req.url ?? "/";
      seen.push({ method, url, authorization: req.headers.authorization, body });
      const path = url.split("?")[0]!;
      const route = routes.find((r) => (r.method ?? "GET") === method && path.startsWith(r.path));
      const answer: FakeAnswer = route
        ? typeof route.answer === "function"
          ? route.answer(req, body)
          : route.answer
        : json(404, { errors: [{ message: "No matching route for request" }] });
      res.writeHead(answer.status, { "content-length": Buffer.byteLength(answer.body), ...(answer.headers ?? {}) });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    baseUrl: `${origin}/api/1.0`,
    setRoutes: (next) => {
      routes = next;
    },
    requests: () => [...seen],
    reset: () => {
      seen = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
