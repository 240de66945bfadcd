/**
 * The admin web UI in Debian's chromium (playwright-core, headless): log in, add an upstream
 * and a location through the forms, see traffic reach the new upstream, see a validation error
 * next to its field, roll back from the history, and save a screenshot of each page under
 * test/artifacts/admin-ui/. Skipped, with the reason printed, where chromium is missing.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { chromium, type Page } from 'playwright-core'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { ROOT, startPingap } from '../helpers/start-pingap.ts'
import { startUpstream } from '../helpers/upstreams.ts'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(ROOT, 'test', 'artifacts', 'admin-ui')
const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)`
if (missing !== false) process.stdout.write(`# skipping the admin UI test: ${missing}\n`)

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}

test(
  'the admin UI: login, forms, validation, traffic, history rollback',
  { skip: missing },
  async (t) => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const upA = await startUpstream(undefined, 'a')
    const upB = await startUpstream(undefined, 'b')
    t.after(() => Promise.all([upA.close(), upB.close()]))
    const pingap = await startPingap(
      {
        'pingap.toml':
          `[upstreams.a]\naddrs = ["${upA.addr}"]\n\n[locations.app]\nupstream = "a"\npath = "/"\n\n` +
          `[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["app"]\n`,
      },
      { args: ['--admin', 'admin:ui-password@127.0.0.1:0'], waitFor: ['web', 'pingap:admin'] },
    )
    t.after(() => pingap.stop())
    const admin = pingap.servers.get('pingap:admin') as string
    const web = pingap.servers.get('web') as string

    const profile = mkdtempSync(join(tmpdir(), 'pingap-chromium-'))
    t.after(() => rmSync(profile, { recursive: true, force: true }))
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
    t.after(() => context.close())
    const page = context.pages()[0] ?? (await context.newPage())
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))

    // Log in (a wrong password first).
    await page.goto(`${admin}/`)
    await page.getByLabel('User').fill('admin')
    await page.getByLabel('Password').fill('wrong')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.getByRole('alert').getByText('Wrong user name or password.').waitFor()
    await shot(page, '01-login')
    await page.getByLabel('Password').fill('ui-password')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor()
    await page.getByRole('cell', { name: `${upA.addr} up` }).waitFor()
    await shot(page, '02-dashboard')

    // Keyboard: the first Tab reaches the skip link.
    await page.keyboard.press('Tab')
    assert.equal(await page.locator(':focus').textContent(), 'Skip to content')

    // Add an upstream through the form.
    await page.getByRole('link', { name: 'Upstreams', exact: true }).click()
    await page.getByRole('link', { name: 'Add upstream' }).click()
    await page.locator('#f-name').fill('b')
    await page.locator('#f-addrs').fill(upB.addr)
    await shot(page, '03-upstream-form')
    await page.getByRole('button', { name: 'Create' }).click()
    await page.getByText(/Saved: version 2/).waitFor()

    // Add a location, then attach it to the server.
    await page.getByRole('link', { name: 'Locations', exact: true }).click()
    await page.getByRole('link', { name: 'Add location' }).click()
    await page.locator('#f-name').fill('bee')
    await page.locator('#f-path').fill('/bee')
    await page.locator('#f-upstream').fill('b')
    await page.getByRole('button', { name: 'Create' }).click()
    await page.getByText(/Saved: version 3/).waitFor()
    await page.getByRole('link', { name: 'Servers', exact: true }).click()
    await page.getByRole('link', { name: 'web' }).click()
    await page.locator('#f-locations').fill('app\nbee')
    await page.getByRole('button', { name: 'Save' }).click()
    await page.getByText(/Saved: version 4/).waitFor()
    await eventually(async () => assert.equal((await request(web, '/bee/x')).body, 'b GET /bee/x'))
    await page.getByRole('link', { name: 'Locations', exact: true }).click()
    await page.getByRole('cell', { name: 'bee', exact: true }).waitFor()
    await shot(page, '04-locations')

    // A bad value: the server's error appears next to the field; nothing changes.
    await page.getByRole('link', { name: 'Upstreams', exact: true }).click()
    await page.getByRole('link', { name: 'b', exact: true }).click()
    await page.locator('#f-addrs').fill('not an address')
    await page.getByRole('button', { name: 'Save' }).click()
    const fieldError = page.locator('#f-addrs-err')
    await fieldError.waitFor()
    assert.match((await fieldError.textContent()) ?? '', /not an address/)
    assert.equal(await page.locator('#f-addrs').getAttribute('aria-invalid'), 'true')
    await shot(page, '05-validation-error')
    assert.equal((await request(web, '/bee/y')).body, 'b GET /bee/y')

    // The raw TOML editor of the same item.
    await page.getByRole('tab', { name: 'TOML' }).click()
    await page.getByLabel(/TOML of upstreams\.b/).waitFor()
    await shot(page, '06-toml-editor')

    // History: a version's side-by-side diff, then a one-click rollback to version 1.
    await page.getByRole('link', { name: 'History' }).click()
    await page.getByRole('link', { name: 'v4' }).waitFor()
    await shot(page, '07-history')
    await page.getByRole('link', { name: 'v4' }).click()
    await page.getByRole('heading', { name: 'Version 4' }).waitFor()
    await page.locator('table.sbs td.add').first().waitFor()
    await shot(page, '08-version-diff')
    await page.getByRole('link', { name: 'Back to history' }).click()
    await page.getByRole('button', { name: 'Roll back to v1' }).click()
    await page.getByText('Rolled back: version 5 restores version 1.').waitFor()
    await eventually(async () => assert.equal((await request(web, '/bee/z')).body, 'a GET /bee/z'))
    await shot(page, '09-rolled-back')

    await page.getByRole('link', { name: 'Audit' }).click()
    await page.getByRole('cell', { name: 'config.rollback' }).first().waitFor()
    await shot(page, '10-audit')

    // A phone-width view of the dashboard.
    await page.setViewportSize({ width: 390, height: 844 })
    await page.getByRole('link', { name: 'Dashboard' }).click()
    await page.getByRole('heading', { name: 'Upstreams' }).waitFor()
    await shot(page, '11-dashboard-phone')
    assert.deepEqual(errors, [])
  },
)
