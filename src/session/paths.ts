import {join} from 'node:path'

/** Where pve-login keeps its configuration, the file ticket store and its locks. */
export interface PveLoginPaths {
  /** config.json (profiles) lives here. */
  configDir: string
  /** sessions/ (the file store) and locks/ live here. */
  stateDir: string
}

/**
 * PVE_LOGIN_HOME puts everything in one directory (tests, containers, several identities side by side);
 * otherwise follow each platform's convention so backups and cleaners treat the files as users expect.
 */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): PveLoginPaths {
  const explicit = env['PVE_LOGIN_HOME']
  if (explicit) return {configDir: explicit, stateDir: explicit}
  // node:os only without HOME: a cached `env` resolves these paths on every run.
  const home = env['HOME'] || process.getBuiltinModule('node:os').homedir()
  if (platform === 'win32') {
    const appData = env['APPDATA'] || join(home, 'AppData', 'Roaming')
    const localAppData = env['LOCALAPPDATA'] || join(home, 'AppData', 'Local')
    return {configDir: join(appData, 'pve-login'), stateDir: join(localAppData, 'pve-login')}
  }
  if (platform === 'darwin') {
    const dir = join(home, 'Library', 'Application Support', 'pve-login')
    return {configDir: dir, stateDir: dir}
  }
  return {
    configDir: join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'pve-login'),
    stateDir: join(env['XDG_STATE_HOME'] || join(home, '.local', 'state'), 'pve-login'),
  }
}
