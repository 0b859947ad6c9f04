/** Asana's error envelope: `{"errors": [{"message", "help", "phrase"?}]}`. */

export const ERROR_HELP =
  "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors";

export interface ErrorBody {
  errors: { message: string; help: string; phrase?: string }[];
}

/** Thrown by route handlers; the server turns it into the envelope with this status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** `<param>: Missing input` (400). */
export function missingInput(param: string): ApiError {
  return new ApiError(400, `${param}: Missing input`);
}

/** `<type>: Not a recognized ID: <gid>` (404). */
export function unknownId(type: string, gid: string): ApiError {
  return new ApiError(404, `${type}: Not a recognized ID: ${gid}`);
}

export function errorBody(status: number, message: string): ErrorBody {
  const error: ErrorBody["errors"][number] = { message, help: ERROR_HELP };
  if (status >= 500) error.phrase = "6 sad squid snuggle softly";
  return { errors: [error] };
}
