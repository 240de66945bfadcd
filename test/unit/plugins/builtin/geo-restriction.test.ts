import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { openCountryDatabase } from '../../../../src/plugins/builtin/geo-database.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { buildMmdb } from '../../../helpers/mmdb.ts'
import { plugin, request, text } from './support.ts'

const dir = mkdtempSync(join(tmpdir(), 'pgt-geo-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const database = join(dir, 'country.mmdb')
writeFileSync(
  database,
  buildMmdb({
    '127.0.0.0/8': { country: { iso_code: 'FR' } },
    '192.0.2.0/24': { country_code: 'DE' },
    '198.51.100.7/32': { registered_country: { iso_code: 'jp' } },
  }),
)

test('the test database resolves each record shape to an upper-case country code', () => {
  const db = openCountryDatabase(database, 'plugins.geo.database')
  const cases: Array<[string, string | undefined]> = [
    ['127.0.0.1', 'FR'],
    ['127.255.255.255', 'FR'],
    ['192.0.2.99', 'DE'],
    ['198.51.100.7', 'JP'],
    ['198.51.100.8', undefined],
    ['10.0.0.1', undefined],
    ['2001:db8::1', undefined],
    ['not an ip', undefined],
  ]
  for (const [ip, code] of cases) assert.equal(db.country(ip), code, ip)
})

test('the bundled database places well-known addresses offline', () => {
  const db = openCountryDatabase(undefined, 'plugins.geo.database')
  assert.equal(db.country('8.8.8.8'), 'US')
  assert.equal(db.country('2001:4860:4860::8888'), 'US')
  assert.equal(db.country('127.0.0.1'), undefined)
})

test('geo_restriction allow / deny / reporting by the client country', async () => {
  const cases: Array<[string, string, number | undefined]> = [
    ['allow', '127.0.0.1', undefined],
    ['allow', '192.0.2.1', 403],
    ['allow', '10.0.0.1', 403], // unknown country is not in the list
    ['allow', 'garbage', undefined], // an unparseable IP passes, as Pingap
    ['deny', '127.0.0.1', 403],
    ['deny', '192.0.2.1', undefined],
    ['deny', '10.0.0.1', undefined],
    ['reporting', '127.0.0.1', undefined],
    ['reporting', '192.0.2.1', undefined],
  ]
  for (const [type, clientIp, status] of cases) {
    const p = plugin({ category: 'geo_restriction', type, country_codes: ['fr, jp'], database })
    const res = await request(p, fakeContext({ clientIp }))
    assert.equal(res?.status, status, `${type} ${clientIp}`)
    if (status === 403) assert.equal(text(res), 'Access from your country is not allowed')
  }
  const custom = plugin({
    category: 'geo_restriction',
    type: 'deny',
    country_codes: ['FR'],
    message: 'nope',
    database,
  })
  assert.equal(text(await request(custom, fakeContext({ clientIp: '127.0.0.2' }))), 'nope')
})

test('geo_restriction config errors name the key', () => {
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ country_codes: ['FR'], database }, 'plugins.test.type'],
    [{ type: 'block', country_codes: ['FR'], database }, 'plugins.test.type'],
    [{ type: 'allow', country_codes: ['FRA'], database }, 'plugins.test.country_codes'],
    [{ type: 'allow', country_codes: ['F1'], database }, 'plugins.test.country_codes'],
    [{ type: 'allow', database: join(dir, 'missing.mmdb') }, 'plugins.test.database'],
    [{ type: 'allow', database: import.meta.filename }, 'plugins.test.database'],
    [{ type: 'allow', countries: ['FR'], database }, 'plugins.test.countries'],
  ]
  for (const [raw, path] of bad) {
    assert.throws(
      () => plugin({ category: 'geo_restriction', ...raw }),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})
