/**
 * pve-login's folders are trusted only when no one else can change them, as ssh treats ~/.ssh: whoever can replace
 * config.json chooses the server (and its pin) of the next login, and whoever can replace `sessions` reads or
 * plants tickets. So the config and state folders, and the entries pve-login keeps in them, must belong to this
 * user, must not be writable by group or others, and the entries must not be symlinks (never followed out).
 */
import {lstatSync, statSync} from 'node:fs'
import {join} from 'node:path'

import {UnsafeStateError} from '../errors.js'

/** The entries pve-login keeps in its folders: folders of its own and small files. */
const ENTRIES: Record<string, 'folder' | 'file'> = {
  sessions: 'folder',
  index: 'folder',
  locks: 'folder',
  'config.json': 'file',
  'keychain.json': 'file',
}

const checked = new Set<string>()

/**
 * Throws UnsafeStateError (with the command that fixes it) when a folder or one of pve-login's entries in it is
 * unsafe. Folders that do not exist yet are fine: pve-login creates them with mode 0700. Checked once per folder
 * and process; costs a few stat calls.
 */
export async function checkStateFolders(folders: readonly string[]): Promise<void> {
  // Windows has no uid or mode bits to compare; its folders under the user profile are the user's own.
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return
  for (const folder of new Set(folders)) {
    if (checked.has(folder)) continue
    checkFolder(folder)
    checked.add(folder)
  }
}

/**
 * Synchronous on purpose: these are a dozen stat calls on local metadata, and every cached `env` makes them; through
 * the thread pool each would cost an event-loop round trip (measured: ~2 ms of a ~45 ms run on 2 cores).
 */
function checkFolder(folder: string): void {
  // The folder itself may be a symlink the user made (PVE_LOGIN_HOME=~/somewhere): what counts is where it leads.
  const stats = statSync(folder, {throwIfNoEntry: false})
  if (!stats) return
  if (!stats.isDirectory()) throw new UnsafeStateError(`${folder} is not a folder.`, {hint: 'Point PVE_LOGIN_HOME at a folder (or remove the file there).'})
  checkOwnerAndMode(folder, stats, 'folder')
  for (const [name, kind] of Object.entries(ENTRIES)) {
    const path = join(folder, name)
    const entry = lstatSync(path, {throwIfNoEntry: false})
    if (!entry) continue
    if (entry.isSymbolicLink()) {
      throw new UnsafeStateError(`${path} is a symbolic link; pve-login does not follow links out of its folder.`, {hint: `Remove the link (rm ${path}); pve-login recreates ${kind === 'folder' ? 'the folder' : 'the file'} itself.`})
    }
    if (kind === 'folder' ? !entry.isDirectory() : !entry.isFile()) {
      throw new UnsafeStateError(`${path} should be a ${kind}.`, {hint: `Move it away (mv ${path} ${path}.old); pve-login recreates it.`})
    }
    checkOwnerAndMode(path, entry, kind)
  }
}

function checkOwnerAndMode(path: string, stats: {uid: number; mode: number}, kind: 'folder' | 'file'): void {
  const uid = process.getuid!()
  if (stats.uid !== uid) {
    throw new UnsafeStateError(`${path} belongs to another user (uid ${stats.uid}, you are uid ${uid}), who could change the tickets or server settings in it.`, {
      hint: `Use a ${kind} of your own: remove it, or set PVE_LOGIN_HOME to a folder you own; an administrator can give it to you with chown ${uid} ${path}.`,
    })
  }
  const mode = stats.mode & 0o777
  if (mode & 0o022) {
    const who = mode & 0o002 ? 'every user' : 'its group'
    throw new UnsafeStateError(`${path} can be changed by ${who} (mode ${mode.toString(8).padStart(4, '0')}).`, {
      hint: `Run: chmod ${kind === 'folder' ? '700' : '600'} ${path}`,
    })
  }
}
