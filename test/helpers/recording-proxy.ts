/**
 * A pass-through HTTP proxy on 127.0.0.1 that records the URL of every request it forwards, so a
 * test can see exactly which query parameters (e.g. `opt_fields`) reached the API simulator.
 */
import { Agent, type IncomingMessage, type ServerResponse, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordingProxy {
  /** The upstream base URL with the proxy's host and port (same path). */
  baseUrl: string;
  /** Path and query of each forwarded request, in arrival order. */
  urls: string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(upstreamBaseUrl: string): Promise<RecordingProxy> {
  const upstream = new URL(upstreamBaseUrl);
  if (upstream.hostname !== "127.0.0.1") throw new Error(`the recording proxy only forwards to 127.0.0.1, not ${upstream.hostname}`);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const urls: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    urls.push(req.url ?? "");
    const forward = request(
      {
        host: "127.0.0.1",
        port: Number(upstream.port),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
        timeout: 30_000,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("timeout", () => forward.destroy(new Error("upstream timeout")));
    forward.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const base = new URL(upstreamBaseUrl);
  base.port = String(port);
  return {
    baseUrl: base.toString().replace(/\/$/, ""),
    urls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
