import {X509Certificate} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {generate} from 'selfsigned'

/**
 * A fresh self-signed server certificate per sandbox, like the one a new PVE node presents before anyone installs
 * a real one. Clients either pin its SHA-256 fingerprint or trust the PEM file as a CA.
 */
export interface SandboxCertificate {
  keyPem: string
  certPem: string
  /** SHA-256 over the DER certificate as upper-case hex pairs joined by colons (what PVE's GUI shows). */
  fingerprint: string
  /** The certificate as a PEM file, usable as `--ca-file`. */
  caFile: string
}

export async function createSandboxCertificate(directory: string): Promise<SandboxCertificate> {
  const pems = await generate([{name: 'commonName', value: 'pve1.sandbox.invalid'}], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      {name: 'basicConstraints', cA: false},
      {name: 'keyUsage', digitalSignature: true, keyEncipherment: true},
      {name: 'extKeyUsage', serverAuth: true},
      {
        name: 'subjectAltName',
        altNames: [
          {type: 7, ip: '127.0.0.1'},
          {type: 2, value: 'localhost'},
          {type: 7, ip: '::1'},
        ],
      },
    ],
  })
  const caFile = join(directory, 'pve-sandbox-ca.pem')
  await writeFile(caFile, pems.cert, {mode: 0o644})
  return {
    keyPem: pems.private,
    certPem: pems.cert,
    fingerprint: new X509Certificate(pems.cert).fingerprint256.toUpperCase(),
    caFile,
  }
}
