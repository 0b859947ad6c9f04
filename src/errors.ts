/**
 * The one error type the connector raises on purpose, and the one failure policy that decides
 * what an error does to a run. Every failure that reaches the CLI is either a ConnectorError (with
 * the Airbyte failure type chosen where it was raised) or an unexpected exception, which
 * `asConnectorError` turns into a system_error marked as a bug.
 *
 * The policy, in one place:
 *   - config_error: only the user can fix it (config, credentials, catalog, state); nothing
 *     changes during this run, so it stops the whole sync (`isFatal`) and is never asked again;
 *   - transient_error: the service is unavailable for now; retried where it arises (the HTTP
 *     sender), and once the retries are spent it fails the stream it was raised for;
 *   - system_error from an API answer: fails that stream (`failsStream`);
 *   - a bug (anything thrown that is not a ConnectorError): a system_error that stops the sync,
 *     and the only error whose internal message is a stack trace.
 */
export type FailureType = "config_error" | "system_error" | "transient_error";

export class ConnectorError extends Error {
  readonly failureType: FailureType;
  /** Technical detail for `internal_message`; never shown as the user-facing message. */
  readonly internalMessage: string | undefined;
  /** An unexpected exception (a bug): the internal message is its stack. */
  readonly bug: boolean;

  constructor(message: string, failureType: FailureType, internalMessage?: string, options: { bug?: boolean } = {}) {
    super(message);
    this.name = "ConnectorError";
    this.failureType = failureType;
    this.internalMessage = internalMessage;
    this.bug = options.bug ?? false;
  }
}

export const configError = (message: string, internal?: string): ConnectorError =>
  new ConnectorError(message, "config_error", internal);

export const systemError = (message: string, internal?: string): ConnectorError =>
  new ConnectorError(message, "system_error", internal);

export const transientError = (message: string, internal?: string): ConnectorError =>
  new ConnectorError(message, "transient_error", internal);

/** Message of any thrown value, without its stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A config_error: the user has to fix the config or the credentials; asking again will not help. */
export function isConfigError(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError && error.failureType === "config_error";
}

/** A transient_error: the service may answer later (what the HTTP sender retries, and a user may retry). */
export function isTransient(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError && error.failureType === "transient_error";
}

/** An unexpected exception (not a ConnectorError, or one made from such): a bug in the connector. */
export function isBug(error: unknown): boolean {
  return !(error instanceof ConnectorError) || error.bug;
}

/**
 * Stops the whole sync: a config_error (every stream would fail the same way, and a sync that
 * goes on would only report it again) or a bug.
 */
export function isFatal(error: unknown): boolean {
  return isConfigError(error) || isBug(error);
}

/** Fails only the stream it was raised for (an API answer, a transient error out of retries); the others go on. */
export function failsStream(error: unknown): error is ConnectorError {
  return error instanceof ConnectorError && !isFatal(error);
}

/**
 * What `check` reports as a FAILED connection status (the credentials or the service are at fault)
 * rather than as an error trace: config and transient errors.
 */
export function failsCheck(error: unknown): error is ConnectorError {
  return isConfigError(error) || isTransient(error);
}

/**
 * Any thrown value as a ConnectorError: ours as they are; anything else is a bug, a system_error
 * whose message (`context: message`) carries no stack, and whose internal message is the stack.
 */
export function asFailure(error: unknown, context: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  return new ConnectorError(`${context}: ${errorMessage(error)}`, "system_error", error instanceof Error ? error.stack : undefined, { bug: true });
}

/**
 * Any thrown value that reaches the CLI as a ConnectorError: a bad command line is a
 * config_error (with the usage), the rest as `asFailure`.
 */
export function asConnectorError(error: unknown, usage: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  // Anything may be thrown (null, a string, an object whose `code` is not a string).
  const code = error !== null && typeof error === "object" ? (error as { code?: unknown }).code : undefined;
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) return configError(`${errorMessage(error)}. ${usage}`);
  return asFailure(error, "An unexpected error stopped the connector");
}
