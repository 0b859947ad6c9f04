/**
 * A local Asana API simulator: a real HTTP server on 127.0.0.1 serving a deterministic dataset.
 *
 *   const sim = await startSimulator({ seed: 1, size: "medium" });
 *   fetch(`${sim.baseUrl}/workspaces`, { headers: { Authorization: `Bearer ${sim.token}` } });
 *   ...
 *   await sim.close();
 */
import { Dataset, type DatasetSize } from "./dataset.js";
import { SimulatorServer } from "./server.js";
import type { RequestStats } from "./stats.js";

export { Dataset, type DatasetSize, type MinimalRequests, type StreamName, STREAM_NAMES } from "./dataset.js";
export type { RequestStats } from "./stats.js";

export const DEFAULT_TOKEN = "sim-pat-0001";

export interface SimulatorOptions {
  seed?: number;
  size?: DatasetSize;
  /** 0 = a random free port. */
  port?: number;
  /** Accepted bearer tokens, default ["sim-pat-0001"]. */
  tokens?: string[];
  /** Delay before each API response, in ms (default 0); makes peakConcurrency meaningful. */
  latencyMs?: number;
}

export interface Simulator {
  /** "http://127.0.0.1:PORT/api/1.0" */
  baseUrl: string;
  /** The first accepted token. */
  token: string;
  stats(): RequestStats;
  resetStats(): void;
  /** Ground truth access. */
  dataset: Dataset;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const tokens = opts.tokens !== undefined && opts.tokens.length > 0 ? [...opts.tokens] : [DEFAULT_TOKEN];
  const dataset = new Dataset(opts.seed ?? 1, opts.size ?? "small");
  const server = new SimulatorServer({ dataset, tokens, port: opts.port ?? 0, latencyMs: opts.latencyMs ?? 0 });
  await server.listen();
  return {
    baseUrl: server.apiBase,
    token: tokens[0]!,
    stats: () => server.stats.snapshot(),
    resetStats: () => server.stats.reset(),
    dataset,
    close: () => server.close(),
  };
}
