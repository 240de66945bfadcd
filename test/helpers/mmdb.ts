/**
 * A minimal MaxMind DB (MMDB v2) writer for tests: an IPv4 search tree with 24-bit records and a
 * data section of maps, strings and integers, enough to give a test its own country database.
 * Format: https://maxmind.github.io/MaxMind-DB/ (tree, 16 zero bytes, data, metadata marker).
 */

type Value = string | number | readonly Value[] | { readonly [key: string]: Value }

// Type numbers of the MMDB data format; types above 7 are "extended" (written as 0 + a byte).
const UTF8 = 2
const UINT16 = 5
const UINT32 = 6
const MAP = 7
const UINT64 = 9
const ARRAY = 11

function control(type: number, size: number): Buffer {
  if (size >= 29) throw new Error('test MMDB writer: sizes of 29 and more are not supported')
  if (type <= 7) return Buffer.from([(type << 5) | size])
  return Buffer.from([size, type - 7])
}

function uint(type: number, value: number): Buffer {
  const bytes: number[] = []
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)])
}

function encode(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([control(UTF8, bytes.length), bytes])
  }
  if (typeof value === 'number') return uint(value > 0xffffffff ? UINT64 : UINT32, value)
  if (Array.isArray(value)) {
    return Buffer.concat([control(ARRAY, value.length), ...value.map((v: Value) => encode(v))])
  }
  const entries = Object.entries(value as Record<string, Value>)
  const parts = entries.flatMap(([k, v]) => [encode(k), encode(v)])
  return Buffer.concat([control(MAP, entries.length), ...parts])
}

interface TreeNode {
  // A child is another node, a data offset (number) or nothing.
  children: [TreeNode | number | undefined, TreeNode | number | undefined]
  id: number
}

function parseCidr(cidr: string): { bits: number; length: number } {
  const [ip = '', len = '32'] = cidr.split('/')
  const bits = ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
  return { bits, length: Number(len) }
}

/** Builds an IPv4 MMDB mapping each CIDR (non-overlapping, length 1..32) to its record. */
export function buildMmdb(networks: Record<string, Value>, databaseType = 'Test-Country'): Buffer {
  const data: Buffer[] = []
  let dataSize = 0
  const root: TreeNode = { children: [undefined, undefined], id: 0 }
  for (const [cidr, record] of Object.entries(networks)) {
    const offset = dataSize
    const encoded = encode(record)
    data.push(encoded)
    dataSize += encoded.length
    const { bits, length } = parseCidr(cidr)
    let node = root
    for (let i = 0; i < length; i++) {
      const bit = Math.floor(bits / 2 ** (31 - i)) % 2
      if (i === length - 1) {
        node.children[bit] = offset
        break
      }
      let next = node.children[bit]
      if (typeof next !== 'object') {
        next = { children: [undefined, undefined], id: 0 }
        node.children[bit] = next
      }
      node = next
    }
  }
  // Number the nodes breadth first, so the root is node 0.
  const nodes: TreeNode[] = []
  const queue = [root]
  while (queue.length > 0) {
    const node = queue.shift() as TreeNode
    node.id = nodes.length
    nodes.push(node)
    for (const child of node.children) if (typeof child === 'object') queue.push(child)
  }
  const count = nodes.length
  const tree = Buffer.alloc(count * 6)
  nodes.forEach((node, i) => {
    node.children.forEach((child, side) => {
      const value =
        child === undefined ? count : typeof child === 'number' ? count + 16 + child : child.id
      tree.writeUIntBE(value, i * 6 + side * 3, 3)
    })
  })
  const metadata = encodeMap([
    ['binary_format_major_version', uint(UINT16, 2)],
    ['binary_format_minor_version', uint(UINT16, 0)],
    ['build_epoch', uint(UINT64, Math.floor(Date.now() / 1000))],
    ['database_type', encode(databaseType)],
    ['description', encode({ en: 'pingap-ts test database' })],
    ['ip_version', uint(UINT16, 4)],
    ['languages', encode(['en'])],
    ['node_count', uint(UINT32, count)],
    ['record_size', uint(UINT16, 24)],
  ])
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...data,
    Buffer.from('\xab\xcd\xefMaxMind.com', 'latin1'),
    metadata,
  ])
}

function encodeMap(entries: ReadonlyArray<[string, Buffer]>): Buffer {
  const parts = entries.flatMap(([key, value]) => [encode(key), value])
  return Buffer.concat([control(MAP, entries.length), ...parts])
}
