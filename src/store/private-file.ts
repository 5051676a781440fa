import {randomBytes} from 'node:crypto'
import {mkdir, open, rename, rm} from 'node:fs/promises'
import {dirname} from 'node:path'

/** Creates a directory only its owner can enter (the file store holds credentials). */
export async function ensurePrivateDirectory(path: string): Promise<void> {
  await mkdir(path, {recursive: true, mode: 0o700})
}

/**
 * Writes a file readable only by its owner, atomically: readers see the old or the new content, never half of
 * either, even when the writer is killed midway (temp file in the same directory, fsync, rename).
 */
export async function writePrivateFileAtomic(path: string, content: string): Promise<void> {
  await ensurePrivateDirectory(dirname(path))
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await open(temporary, 'wx', 0o600)
  try {
    await handle.writeFile(content, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, {force: true})
    throw error
  }
}
