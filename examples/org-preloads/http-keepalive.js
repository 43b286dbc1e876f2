// Reuse TCP connections for outgoing HTTP(S) calls: most functions call other services on every
// invoke, and a new TLS handshake each time costs tens of milliseconds.
import http from 'node:http'
import https from 'node:https'

export default function setup(options) {
  const maxSockets = options.maxSockets ?? 50
  for (const mod of [http, https]) {
    mod.globalAgent = new mod.Agent({ keepAlive: true, maxSockets })
  }
}
