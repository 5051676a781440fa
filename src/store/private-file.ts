// fs.promises, not node:fs/promises: the bundled fast path would load that module (and readline with it) on every
// cached `env`, which only reads, synchronously.
import {closeSync, constants, fstatSync, openSync, promises as fs, readSync} from 'node:fs'
import {dirname} from 'node:path'

import {UnsafeStateError} from '../errors.js'

/** Creates a directory only its owner can enter (the file store holds credentials). */
export async function ensurePrivateDirectory(path: string): Promise<void> {
  await fs.mkdir(path, {recursive: true, mode: 0o700})
  // An existing path is used only when it is a real directory of ours: a symlink planted here would send tickets
  // into someone else's folder.
  const stats = await fs.lstat(path)
  if (!stats.isDirectory()) throw new UnsafeStateError(`${path} is not a folder (${stats.isSymbolicLink() ? 'a symbolic link' : 'a file'}).`, {hint: `Remove it (rm ${path}); pve-login creates the folder itself.`})
}

/**
 * Writes a file readable only by its owner, atomically: readers see the old or the new content, never half of
 * either, even when the writer is killed midway (temp file in the same directory, fsync, rename). The rename
 * replaces a symlink at `path` instead of writing through it.
 */
export async function writePrivateFileAtomic(path: string, content: string): Promise<void> {
  await ensurePrivateDirectory(dirname(path))
  // node:crypto is loaded here, not at the top: the stores import this module on every run, and most runs only read.
  const {randomBytes} = await import('node:crypto')
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await fs.open(temporary, 'wx', 0o600)
  try {
    await handle.writeFile(content, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await fs.rename(temporary, path)
  } catch (error) {
    await fs.rm(temporary, {force: true})
    throw error
  }
}

/** Why a file was not read. */
export class UnreadableFileError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path}: ${reason}`)
  }
}

/**
 * Reads one of pve-login's own small files: undefined when it does not exist. Never follows a symlink (O_NOFOLLOW),
 * never blocks on a FIFO or device (O_NONBLOCK, regular files only), never reads more than maxBytes: a planted or
 * damaged entry costs an UnreadableFileError, not a hang or the machine's memory. Synchronous inside: a read of a
 * few hundred bytes through the thread pool costs four event-loop round trips (open, stat, read, close), which a
 * cached `env` would pay for every file it reads.
 */
export async function readPrivateFile(path: string, maxBytes: number): Promise<string | undefined> {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    if (code === 'ELOOP') throw new UnreadableFileError(path, 'a symbolic link (not followed)')
    if (code === 'EISDIR') throw new UnreadableFileError(path, 'a folder, not a file')
    throw new UnreadableFileError(path, (error as Error).message)
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw new UnreadableFileError(path, stats.isDirectory() ? 'a folder, not a file' : 'not a regular file')
    if (stats.size > maxBytes) throw new UnreadableFileError(path, `larger than ${maxBytes} bytes`)
    // One byte more than allowed: a file that grew after fstat is caught by reading that byte.
    const buffer = Buffer.allocUnsafe(maxBytes + 1)
    let length = 0
    for (;;) {
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > maxBytes) throw new UnreadableFileError(path, `larger than ${maxBytes} bytes`)
    }
    return buffer.toString('utf8', 0, length)
  } finally {
    closeSync(fd)
  }
}
