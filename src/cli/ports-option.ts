import {InvalidInputError} from '../errors.js'
import {unusableCallbackPort} from '../login/loopback-listener.js'

/** `--port 8400,8401`: the fixed loopback ports, tried in order. */
export function parsePorts(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined
  const ports = text.split(',').map((part) => part.trim())
  if (ports.some((port) => !/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw new InvalidInputError(`--port ${text} is not a list of ports.`, {hint: 'Give one port or several separated by commas, e.g. --port 8400 or --port 8400,8401.'})
  }
  // Refused here, before anything is sent: a browser could never deliver the callback to these.
  for (const port of ports.map(Number)) {
    const unusable = unusableCallbackPort(port)
    if (unusable) throw new InvalidInputError(`--port ${port} cannot be used: ${unusable}.`, {hint: 'Pick ports from 1024 up that the IdP allows in redirect URIs, e.g. --port 8400.'})
  }
  return ports.map(Number)
}
