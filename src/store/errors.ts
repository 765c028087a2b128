/**
 * Storage failures an operator can act on: the errno named (ENOSPC, EROFS, EACCES, ...), and for the
 * storage directory itself, what to do about ownership.
 */
import { AppError } from '../lib/errors.js';

/** The errno of a file-system error (`code` of a Node error), if any. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

const MEANING: Record<string, string> = {
  ENOSPC: 'the file system is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'I/O error',
  ENOENT: 'a directory of the layout is missing',
};

/** `STORAGE_NOT_WRITABLE` naming the errno: "the storage directory is not writable: ENOSPC (the file system is full)". */
export function notWritable(err: unknown, dir: string): AppError {
  const errno = errnoOf(err);
  const what = errno ? `: ${errno}${MEANING[errno] ? ` (${MEANING[errno]})` : ''}` : '';
  return new AppError('STORAGE_NOT_WRITABLE', `the storage directory is not writable${what}`, {
    cause: err,
    details: { dir, ...(errno ? { errno } : {}) },
  });
}

/**
 * The start-up failure to prepare the storage directory, with what to do: who must own it, how the
 * Docker image drops root (MARATHON_ACME_USER) and how HAProxy in another group reads the files
 * (--storage-group). Not a bare `EACCES: permission denied, mkdir ...`.
 */
export function initFailure(err: unknown, dir: string, path: string): AppError {
  const errno = errnoOf(err);
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  const who = uid !== undefined ? ` (uid ${uid}, gid ${gid})` : '';
  const hint =
    errno === 'EACCES' || errno === 'EPERM'
      ? `the storage directory must be writable by the user marathon-acme runs as${who}: chown it to that user ` +
        '(or run the image with MARATHON_ACME_USER=uid:gid of its owner), and give HAProxy read access with ' +
        '--storage-group GID instead of opening the directory to everyone'
      : errno === 'EROFS'
        ? 'the storage directory is on a read-only mount: mount it read-write'
        : errno === 'ENOSPC' || errno === 'EDQUOT'
          ? 'the file system of the storage directory is full: free some space'
          : 'check the storage directory and its permissions';
  return new AppError(
    'STORAGE_NOT_WRITABLE',
    `cannot prepare the storage directory: ${errno ?? 'error'}${errno && MEANING[errno] ? ` (${MEANING[errno]})` : ''} at ${path}; ${hint}`,
    { cause: err, details: { dir, path, ...(errno ? { errno } : {}) } },
  );
}
