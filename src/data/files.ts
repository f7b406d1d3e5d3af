/**
 * File access for the loaders, with the errors a user can act on: a missing path becomes `FILE_NOT_FOUND`
 * naming the path and the spec form that was expected, instead of a bare ENOENT.
 */
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { RampartError } from '../errors.js';

/** Reads a whole file; `kind` (e.g. `npz`, `IDX labels`) is named in the error if it is missing. */
export async function readBytes(path: string, kind: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw fileError(error, path, kind);
  }
}

/** Fails with `FILE_NOT_FOUND` unless `path` is an existing directory. */
export async function requireDirectory(path: string, kind: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (error) {
    throw fileError(error, path, kind);
  }
  if (!isDirectory) {
    throw new RampartError('DATA_SPEC', `${kind}: ${path} is a file, expected a directory.`, { path });
  }
}

function fileError(error: unknown, path: string, kind: string): RampartError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new RampartError('FILE_NOT_FOUND', `${kind} file not found: ${path}. Check the path in the data spec.`, {
      path,
    });
  }
  if (code === 'EISDIR') {
    return new RampartError('DATA_SPEC', `${kind}: ${path} is a directory, expected a file.`, { path });
  }
  return new RampartError('FILE_NOT_FOUND', `${kind}: cannot read ${path} (${String(error)}).`, { path, code });
}

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip bytes, reporting a damaged stream as `DATA_CORRUPT`. */
export function gunzip(bytes: Uint8Array, source: string): Uint8Array {
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    throw new RampartError(
      'DATA_CORRUPT',
      `${source}: the gzip stream is damaged or truncated (${(error as Error).message}). Download or copy the file again.`,
      { source },
    );
  }
}
