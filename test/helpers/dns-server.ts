/** A tiny authoritative DNS server on 127.0.0.1 (UDP) answering A queries from a table the test changes. */
import { createSocket } from 'node:dgram'
import { once } from 'node:events'

export interface DnsStub {
  readonly server: string
  /** name → [IPv4 addresses, TTL seconds]; names absent answer NXDOMAIN. */
  readonly records: Map<string, { ips: string[]; ttl: number }>
  queries: number
  close(): Promise<void>
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = []
  let pos = offset
  while (msg[pos] !== 0) {
    const len = msg[pos]!
    labels.push(msg.subarray(pos + 1, pos + 1 + len).toString('ascii'))
    pos += len + 1
  }
  return { name: labels.join('.').toLowerCase(), end: pos + 1 }
}

function answer(msg: Buffer, records: DnsStub['records']): Buffer {
  const { name, end } = readName(msg, 12)
  const qtype = msg.readUInt16BE(end)
  const question = msg.subarray(12, end + 4)
  const found = records.get(name)
  const ips = found !== undefined && qtype === 1 ? found.ips : []
  const header = Buffer.alloc(12)
  msg.copy(header, 0, 0, 2)
  // QR + RD + RA; RCODE 3 (NXDOMAIN) for unknown names, 0 otherwise.
  header.writeUInt16BE(0x8180 | (found === undefined ? 3 : 0), 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(ips.length, 6)
  const rrs = ips.map((ip) => {
    const rr = Buffer.alloc(16)
    rr.writeUInt16BE(0xc00c, 0)
    rr.writeUInt16BE(1, 2)
    rr.writeUInt16BE(1, 4)
    rr.writeUInt32BE(found?.ttl ?? 60, 6)
    rr.writeUInt16BE(4, 10)
    ip.split('.').forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i))
    return rr
  })
  return Buffer.concat([header, question, ...rrs])
}

/** Starts the stub; `server` is the `ip:port` to give a Resolver. */
export async function startDnsStub(): Promise<DnsStub> {
  const socket = createSocket('udp4')
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  const stub: DnsStub = {
    server: `127.0.0.1:${socket.address().port}`,
    records: new Map(),
    queries: 0,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  }
  socket.on('message', (msg, peer) => {
    stub.queries++
    socket.send(answer(msg, stub.records), peer.port, peer.address)
  })
  return stub
}
