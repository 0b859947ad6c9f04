/**
 * What every CLI command builds from the manifest and the config: the source, the HTTP client
 * and the rate controller. Shared by the Airbyte and Singer entry points.
 */
import { type DeclarativeSource, buildSource, specOf, type ConnectorSpecification } from "../declarative/source.js";
import type { FetchEnvironment } from "../engine/fetch.js";
import { type RuntimeSettings, runtimeSettings } from "../engine/settings.js";
import { HttpClient } from "../http/client.js";
import { RateController } from "../http/rate-controller.js";
import { applyConfigValidations } from "../declarative/config-rules.js";
import { type LoadedManifest, loadManifest } from "../manifest/load.js";
import type { SyncEmitter } from "../protocol/emitter.js";
import type { Redactor } from "../protocol/redact.js";
import { readConfig, validateConfig } from "./inputs.js";

export interface Runtime {
  manifest: LoadedManifest;
  spec: ConnectorSpecification;
  config: Record<string, unknown>;
  source: DeclarativeSource;
  settings: RuntimeSettings;
  env: FetchEnvironment;
  /** Minimum time between two checkpoints of a stream (config knob `_checkpoint_interval_ms`, default 1 s). */
  checkpointIntervalMs: number;
  close(): Promise<void>;
}

export function loadSpec(manifestPath: string | undefined): { manifest: LoadedManifest; spec: ConnectorSpecification } {
  const manifest = manifestPath ? loadManifest(manifestPath) : loadManifest();
  return { manifest, spec: specOf(manifest) };
}

/**
 * Reads and validates the config (registering its secrets first), then builds the source.
 * `configInput` is the config file's path, or a config already read (the Singer tap merges several files).
 */
export function createRuntime(
  manifestPath: string | undefined,
  configInput: string | Record<string, unknown>,
  redactor: Redactor,
  emitter: SyncEmitter,
): Runtime {
  const { manifest, spec } = loadSpec(manifestPath);
  const config = typeof configInput === "string" ? readConfig(configInput) : configInput;
  redactor.addFromConfig(config, spec.connectionSpecification);
  // The manifest's own validations first: their messages are more specific than the schema's.
  applyConfigValidations(manifest.root.spec, config);
  validateConfig(config, spec.connectionSpecification);
  const source = buildSource(manifest, config);
  const settings = runtimeSettings(manifest.root, source, config);
  const http = new HttpClient({ connections: Math.max(settings.concurrency, 1), timeoutMs: settings.requestTimeoutMs });
  const rate = new RateController({
    initialRate: settings.initialRate,
    maxRate: settings.maxRate,
    maxConcurrency: settings.concurrency,
  });
  return {
    manifest,
    spec,
    config,
    source,
    settings,
    env: { http, rate, emitter, config, maxRateLimitRetries: 50, backoffBaseSeconds: settings.backoffBaseSeconds },
    checkpointIntervalMs:
      typeof config._checkpoint_interval_ms === "number" && config._checkpoint_interval_ms >= 0 ? config._checkpoint_interval_ms : 1000,
    close: () => http.close(),
  };
}
