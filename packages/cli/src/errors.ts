/** A problem with the command line or its inputs: exit code 2 with a one-line reason. */
export class InputError extends Error {
  constructor(
    message: string,
    /** Longer rendering (diagnostics with carets) printed before the one-line reason. */
    readonly details?: string,
  ) {
    super(message);
    this.name = "InputError";
  }
}

export const EXIT = { allowed: 0, denied: 1, input: 2 } as const;
