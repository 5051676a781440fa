/**
 * What a PVE node would write to syslog: the real reason behind each "authentication failure", which the
 * client never sees. Messages name users and realms, never tickets, codes, states or passwords.
 */
export interface SyslogEntry {
  time: string
  message: string
}

export class SandboxSyslog {
  private readonly entries: SyslogEntry[] = []

  log(message: string): void {
    this.entries.push({time: new Date().toISOString(), message: message.trimEnd()})
  }

  list(): SyslogEntry[] {
    return this.entries.map((entry) => ({...entry}))
  }

  clear(): void {
    this.entries.length = 0
  }
}
