import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hashPassword, isPasswordHash, verifyPassword } from '../../../src/admin/password.ts'
import { configUsers, UserDirectory } from '../../../src/admin/users.ts'

test('scrypt hashes verify the right password only', async () => {
  const hash = await hashPassword('correct horse')
  assert.ok(isPasswordHash(hash), hash)
  assert.notEqual(hash, await hashPassword('correct horse'), 'salted')
  assert.equal(await verifyPassword('correct horse', hash), true)
  assert.equal(await verifyPassword('wrong', hash), false)
  assert.equal(await verifyPassword('x', 'plain'), false)
})

test('users come from the command line and from basic.admin_users', async () => {
  const hash = await hashPassword('pw-of-carol')
  const entries = [`carol:${hash}`, 'dave:plaintext']
  assert.deepEqual([...configUsers(entries).keys()], ['carol'])
  const users = new UserDirectory([{ user: 'admin', password: 'secret' }], () => entries)
  assert.equal(await users.verify('admin', 'secret'), true)
  assert.equal(await users.verify('admin', 'Secret'), false)
  assert.equal(await users.verify('carol', 'pw-of-carol'), true)
  assert.equal(await users.verify('dave', 'plaintext'), false)
  assert.equal(await users.verify('nobody', 'x'), false)
  assert.equal(new UserDirectory([], () => undefined).isEmpty, true)
})
