/**
 * The one error type the connector raises on purpose. Every failure that reaches the CLI is
 * either a ConnectorError (with the Airbyte failure type chosen where it was raised) or an
 * unexpected exception, which the CLI reports as a system_error.
 */
export type FailureType = "config_error" | "system_error" | "transient_error";

export class ConnectorError extends Error {
  readonly failureType: FailureType;
  /** Technical detail for `internal_message`; never shown as the user-facing message. */
  readonly internalMessage: string | undefined;

  constructor(message: string, failureType: FailureType, internalMessage?: string) {
    super(message);
    this.name = "ConnectorError";
    this.failureType = failureType;
    this.internalMessage = internalMessage;
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

/**
 * Any thrown value as a ConnectorError: ours keep their failure type, a bad command line is a
 * config_error (with the usage), anything else is a system_error (a bug), whose message carries
 * no stack (the stack goes to the internal message, redacted like every output).
 */
export function asConnectorError(error: unknown, usage: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  // Anything may be thrown (null, a string, an object whose `code` is not a string).
  const code = error !== null && typeof error === "object" ? (error as { code?: unknown }).code : undefined;
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) return configError(`${errorMessage(error)}. ${usage}`);
  return systemError(`An unexpected error stopped the connector: ${errorMessage(error)}`, error instanceof Error ? error.stack : undefined);
}
