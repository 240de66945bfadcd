import assert from 'node:assert/strict'
import { BlockList, isIP } from 'node:net'
import { test } from 'node:test'
import { compileIpList, ipv4Number } from '../../../../src/plugins/builtin/ip-list.ts'

test('ipv4Number reads canonical dotted IPv4 only', () => {
  const cases: Array<[string, number]> = [
    ['0.0.0.0', 0],
    ['127.0.0.1', 0x7f000001],
    ['255.255.255.255', 0xffffffff],
    ['10.1.2.3', 0x0a010203],
    ['256.0.0.1', -1],
    ['01.2.3.4', -1],
    ['1.2.3', -1],
    ['1.2.3.4.5', -1],
    ['1..2.3', -1],
    ['1.2.3.', -1],
    ['::1', -1],
    ['', -1],
    [' 1.2.3.4', -1],
  ]
  for (const [ip, want] of cases) assert.equal(ipv4Number(ip), want, ip)
})

/** The reference: a plain BlockList, as the list worked before the IPv4 fast path. */
function oracle(entries: readonly string[]): (ip: string) => boolean | undefined {
  const list = new BlockList()
  for (const entry of entries) {
    const [ip = '', bits] = entry.split('/')
    const type = isIP(ip) === 4 ? 'ipv4' : 'ipv6'
    if (bits === undefined) list.addAddress(ip, type)
    else list.addSubnet(ip, Number(bits), type)
  }
  return (ip) => {
    const v = isIP(ip)
    return v === 0 ? undefined : list.check(ip, v === 4 ? 'ipv4' : 'ipv6')
  }
}

test('the IPv4 fast path agrees with node:net BlockList, IPv6 and IPv4-mapped entries included', () => {
  const lists: string[][] = [
    [],
    ['127.0.0.1'],
    ['10.0.0.0/8', '192.168.1.0/24', '172.16.5.4/30'],
    ['0.0.0.0/0'],
    ['2001:db8::/32', '::1'],
    ['::/0'],
    ['::ffff:10.0.0.0/104'],
    ['::ffff:0:0/96'],
    ['::ffff:a00:0/104'],
    ['::ffff:192.168.1.1'],
    ['::/1', '10.0.0.1'],
    ['8000::/1'],
  ]
  const clients = [
    '127.0.0.1',
    '10.0.0.1',
    '10.255.255.255',
    '11.0.0.0',
    '192.168.1.77',
    '192.168.2.1',
    '172.16.5.7',
    '172.16.5.8',
    '0.0.0.0',
    '255.255.255.255',
    '::1',
    '2001:db8::5',
    '::ffff:10.1.2.3',
    '::ffff:192.168.1.1',
    'fe80::1',
    'not-an-ip',
    '01.2.3.4',
  ]
  // Plus random IPv4 clients.
  for (let i = 0; i < 200; i++) {
    clients.push(Array.from({ length: 4 }, () => Math.floor(Math.random() * 256)).join('.'))
  }
  for (const entries of lists) {
    const fast = compileIpList(entries, 'x')
    const slow = oracle(entries)
    for (const ip of clients) assert.equal(fast.has(ip), slow(ip), `${ip} in ${entries.join(',')}`)
  }
})
