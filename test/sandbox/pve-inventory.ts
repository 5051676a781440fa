import {PveError} from './pve-error.js'
import type {SandboxClock} from './sandbox-clock.js'

/**
 * A one-node "cluster" with two guests, so a client can list, clone and wait for a task after logging in.
 * Clones complete instantly; their task is already `stopped`/`OK` when the UPID is returned.
 */
export interface VirtualMachine {
  vmid: number
  name: string
  status: 'running' | 'stopped'
  template?: 1
  cpus: number
  maxmem: number
  maxdisk: number
}

interface Task {
  upid: string
  node: string
  pid: number
  pstart: number
  starttime: number
  type: string
  id: string
  user: string
}

export const SANDBOX_NODE = 'pve1'

const GIB = 1024 ** 3

function noSuchNode(node: string): PveError {
  // What a cluster member answers for a node name it cannot resolve.
  return new PveError(500, `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known\n`)
}

const hex8 = (value: number): string => value.toString(16).toUpperCase().padStart(8, '0')

export class PveInventory {
  private readonly vms = new Map<number, VirtualMachine>([
    [9000, {vmid: 9000, name: 'debian-12-template', status: 'stopped', template: 1, cpus: 2, maxmem: 2 * GIB, maxdisk: 8 * GIB}],
    [100, {vmid: 100, name: 'web1', status: 'running', cpus: 2, maxmem: 4 * GIB, maxdisk: 32 * GIB}],
  ])
  private readonly tasks = new Map<string, Task>()
  private nextPid = 4242

  constructor(private readonly clock: SandboxClock) {}

  private requireNode(node: string): void {
    if (node !== SANDBOX_NODE) throw noSuchNode(node)
  }

  listNodes(): object[] {
    return [
      {
        node: SANDBOX_NODE,
        id: `node/${SANDBOX_NODE}`,
        type: 'node',
        status: 'online',
        level: '',
        maxcpu: 8,
        cpu: 0.02,
        maxmem: 32 * GIB,
        mem: 6 * GIB,
        maxdisk: 100 * GIB,
        disk: 12 * GIB,
        uptime: 86400,
      },
    ]
  }

  listVms(node: string): VirtualMachine[] {
    this.requireNode(node)
    return [...this.vms.values()].map((vm) => ({...vm}))
  }

  /** Returns the UPID of the (already finished) clone task. */
  clone(node: string, vmid: number, newid: number, name: string | undefined, user: string): string {
    this.requireNode(node)
    const source = this.vms.get(vmid)
    if (!source) throw new PveError(500, `Configuration file 'nodes/${node}/qemu-server/${vmid}.conf' does not exist\n`)
    if (this.vms.has(newid)) throw new PveError(500, `unable to create VM ${newid}: config file already exists\n`)
    const {template: _template, ...copy} = source
    this.vms.set(newid, {...copy, vmid: newid, name: name ?? `Copy-of-VM-${source.name}`, status: 'stopped'})
    return this.recordTask(node, 'qmclone', String(vmid), user)
  }

  taskStatus(node: string, upid: string): object {
    this.requireNode(node)
    const task = this.tasks.get(upid)
    if (!task) throw new PveError(500, `unable to parse worker upid '${upid}'\n`)
    return {...task, status: 'stopped', exitstatus: 'OK'}
  }

  private recordTask(node: string, type: string, id: string, user: string): string {
    const pid = this.nextPid++
    const pstart = pid * 10
    const starttime = this.clock.nowSeconds()
    // PVE's UPID layout: UPID:node:pid:pstart:starttime:type:id:user:
    const upid = `UPID:${node}:${hex8(pid)}:${hex8(pstart)}:${hex8(starttime)}:${type}:${id}:${user}:`
    this.tasks.set(upid, {upid, node, pid, pstart, starttime, type, id, user})
    return upid
  }
}
