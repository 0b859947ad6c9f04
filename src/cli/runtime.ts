/**
 * What every CLI command builds from the manifest and the config: the source, the settings, the
 * HTTP client and the rate controller. Shared by the Airbyte and Singer entry points. The config
 * is validated here, once, and the settings are derived from it here, once
 * (src/engine/settings.ts); the components get their values injected and read no config key.
 */
import { type DeclarativeSource, buildSource, specOf, type ConnectorSpecification } from "../declarative/source.js";
import { type FetchEnvironment, rateLimitedLine } from "../engine/fetch.js";
import { type RuntimeSettings, runtimeSettings } from "../engine/settings.js";
import { HttpClient } from "../http/client.js";
import { RateController } from "../http/rate-controller.js";
import { applyConfigValidations } from "../declarative/config-rules.js";
import { type LoadedManifest, loadManifest } from "../manifest/load.js";
import type { SyncEmitter } from "../protocol/emitter.js";
import { secrets } from "../protocol/redact.js";
import { readConfig, validateConfig } from "./inputs.js";

export interface Runtime {
  source: DeclarativeSource;
  settings: RuntimeSettings;
  env: FetchEnvironment;
  close(): Promise<void>;
}

/** Waits for 429s on one request before giving up with a transient_error. */
const MAX_RATE_LIMIT_WAITS = 50;

/** A loaded manifest and its spec. */
export interface LoadedSpec {
  manifest: LoadedManifest;
  spec: ConnectorSpecification;
}

export function loadSpec(manifestPath: string | undefined): LoadedSpec {
  const manifest = manifestPath ? loadManifest(manifestPath) : loadManifest();
  return { manifest, spec: specOf(manifest) };
}

/**
 * Reads and validates the config (registering its secrets with the process-wide masker first,
 * where the authenticators register the tokens they obtain too), then builds the source.
 * `manifestInput` is the manifest's path (undefined: the package's), or a manifest already loaded;
 * `configInput` is the config file's path, or a config already read (the Singer tap merges several files).
 */
export function createRuntime(
  manifestInput: string | undefined | LoadedSpec,
  configInput: string | Record<string, unknown>,
  emitter: SyncEmitter,
): Runtime {
  const { manifest, spec } = typeof manifestInput === "object" ? manifestInput : loadSpec(manifestInput);
  const config = typeof configInput === "string" ? readConfig(configInput) : configInput;
  secrets.addFromConfig(config, spec.connectionSpecification);
  // The manifest's own validations first: their messages are more specific than the schema's.
  applyConfigValidations(manifest.root.spec, config);
  validateConfig(config, spec.connectionSpecification, manifest.prebuilt);
  const source = buildSource(manifest, config);
  const settings = runtimeSettings(manifest.root, spec.connectionSpecification, source, config);
  const http = new HttpClient({ connections: settings.concurrency, timeoutMs: settings.requestTimeoutMs });
  const rate = new RateController({
    initialRate: settings.initialRate,
    maxRate: settings.maxRate,
    maxConcurrency: settings.concurrency,
    maxPauseSeconds: settings.maxRetryAfterSeconds,
  });
  return {
    source,
    settings,
    env: {
      http,
      rate,
      // A sync reports waits as stream statuses (the read loop replaces this); a check logs them.
      onRateLimited: (stream, resumeAt) => emitter.log("INFO", rateLimitedLine(stream, resumeAt)),
      config,
      maxRateLimitRetries: MAX_RATE_LIMIT_WAITS,
      backoffBaseSeconds: settings.backoffBaseSeconds,
    },
    close: () => http.close(),
  };
}
