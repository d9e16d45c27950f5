/** One-line text of a thrown value, for IPC error messages and cell errors. */

/** Formats an unknown thrown value as one line. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code === undefined ? error.message : `${error.message} (${String(code)})`;
  }
  return String(error);
}
