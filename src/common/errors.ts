/** The message of anything thrown, for error text shown to the user. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A problem the user must fix (a bad flag, project file, training setting, model folder, weights,
 * or a missing backend), as opposed to a bug. Every such error derives from this class; the CLI
 * prints its message and exits with status 2, never "internal error".
 */
export class UserError extends Error {
  /** A marker, not `instanceof`: each bundle (CLI, trainer commands) carries its own copy of this class. */
  readonly userError = true;
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof Error && (error as { userError?: unknown }).userError === true;
}
