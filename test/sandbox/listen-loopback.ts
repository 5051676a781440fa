import type {AddressInfo, Server} from 'node:net'

/** Listens on 127.0.0.1 (port 0: any free one) and resolves with the port actually bound. */
export function listenOnLoopback(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}
