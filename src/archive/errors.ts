// Typed failures of the archive: what was wrong with which file, so an operator can act on it.

/** Why the archive refused an operation or a file. */
export type ArchiveErrorCode =
  | "BAD_BATCH"
  | "CORRUPT_WAL"
  | "CORRUPT_SEGMENT"
  | "CORRUPT_MANIFEST"
  | "MISSING_FILE"
  | "DISK_FULL"
  | "IO"
  | "CLOSED"
  | "BAD_QUERY"
  | "LAYOUT_MISMATCH";

/** An archive failure with the file and position involved, when there is one. */
export class ArchiveError extends Error {
  override readonly name = "ArchiveError";
  readonly code: ArchiveErrorCode;
  readonly file: string | undefined;

  constructor(code: ArchiveErrorCode, message: string, file?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.file = file;
  }
}

/** @internal Wraps a Node file-system error in an ArchiveError (ENOSPC → DISK_FULL, ENOENT → MISSING_FILE). */
export function ioError(err: unknown, what: string, file: string): ArchiveError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "ENOSPC") return new ArchiveError("DISK_FULL", `disk full while ${what} ${file}`, file, { cause: err });
  if (code === "ENOENT") return new ArchiveError("MISSING_FILE", `missing file while ${what} ${file}`, file, { cause: err });
  return new ArchiveError("IO", `${what} ${file} failed: ${(err as Error)?.message ?? String(err)}`, file, { cause: err });
}
