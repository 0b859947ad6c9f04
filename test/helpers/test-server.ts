/**
 * A plain HTTP server on 127.0.0.1 for client tests: answers with a handler, counts requests and
 * connections, and is closed with its sockets by the `close` it returns (each test registers it
 * with its own cleanups).
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface TestServer {
  /** `127.0.0.1:<port>`. */
  host: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Requests received so far. */
  requests: () => number;
  /** Connections accepted so far. */
  connections: () => number;
  /** The most connections open at once. */
  peakOpen: () => number;
  close: () => Promise<void>;
}

/** Starts a server; `handler` gets each request once its body has been read (`body`, as text). */
export async function startTestServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<TestServer> {
  let requests = 0;
  let connections = 0;
  let open = 0;
  let peak = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => handler(req, res, body));
  });
  server.on("connection", (socket: Socket) => {
    connections++;
    peak = Math.max(peak, ++open);
    socket.on("close", () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    origin: `http://${host}`,
    requests: () => requests,
    connections: () => connections,
    peakOpen: () => peak,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
