import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import type { BasicConf } from '../../../src/config/types.ts'
import { emitNotification, type Notification } from '../../../src/core/notifications.ts'
import { Notifier, webhookTarget } from '../../../src/control/notify.ts'
import { webhookPayload, webhookType } from '../../../src/control/notify-webhook.ts'
import { eventually } from '../../helpers/eventually.ts'

const N: Notification = { category: 'backend_status', level: 'warn', message: 'b is down' }

describe('webhook payloads', () => {
  test('generic JSON carries name, level, hostname, ip, category and message', () => {
    assert.deepEqual(webhookPayload('normal', 'edge', N, 'h1', '10.0.0.1'), {
      name: 'edge',
      level: 'warn',
      hostname: 'h1',
      ip: '10.0.0.1',
      category: 'backend_status',
      message: 'b is down',
    })
  })

  test('wecom and dingtalk get markdown messages', () => {
    const wecom = webhookPayload('wecom', 'edge', N, 'h1', '10.0.0.1') as {
      msgtype: string
      markdown: { content: string }
    }
    assert.equal(wecom.msgtype, 'markdown')
    assert.match(wecom.markdown.content, /backend_status[\s\S]*b is down/)
    const ding = webhookPayload('dingtalk', 'edge', N, 'h1', '10.0.0.1') as {
      markdown: { title: string; text: string }
    }
    assert.equal(ding.markdown.title, 'backend_status')
    assert.match(ding.markdown.text, /b is down/)
  })

  const types: Array<[string | undefined, string]> = [
    [undefined, 'normal'],
    ['normal', 'normal'],
    ['generic', 'normal'],
    ['WeCom', 'wecom'],
    ['dingtalk', 'dingtalk'],
  ]
  for (const [input, expected] of types) {
    test(`webhook_type ${String(input)} → ${expected}`, () => {
      assert.equal(webhookType(input), expected)
    })
  }

  test('a long message is clipped', () => {
    const long = webhookPayload('normal', 'x', { ...N, message: 'a'.repeat(10_000) }) as {
      message: string
    }
    assert.ok(long.message.length < 4000)
  })
})

describe('Notifier', () => {
  const basic = (over: Partial<BasicConf> = {}): BasicConf => ({
    webhook: 'http://127.0.0.1:9/hook',
    webhook_notifications: ['backend_status', 'reload_config_fail'],
    ...over,
  })

  test('no webhook or no category means no target', () => {
    assert.equal(webhookTarget(basic({ webhook: '' })), undefined)
    assert.equal(webhookTarget(basic({ webhook_notifications: [] })), undefined)
    assert.ok(webhookTarget(basic()))
  })

  test('only enabled categories are sent, in order', async () => {
    const sent: unknown[] = []
    const notifier = new Notifier({
      post: (_url, payload) => {
        sent.push(payload)
        return Promise.resolve()
      },
    })
    notifier.configure(basic({ name: 'edge' }))
    notifier.notify({ category: 'diff_config', level: 'info', message: 'x' })
    notifier.notify(N)
    notifier.notify({ category: 'reload_config_fail', level: 'error', message: 'bad' })
    await notifier.close()
    assert.deepEqual(
      sent.map((p) => (p as { category: string }).category),
      ['backend_status', 'reload_config_fail'],
    )
  })

  test('wants() answers per category, and nothing before a webhook is configured', () => {
    const notifier = new Notifier()
    assert.equal(notifier.wants('backend_status'), false)
    notifier.configure(basic())
    assert.equal(notifier.wants('backend_status'), true)
    assert.equal(notifier.wants('reload_config'), false)
    notifier.configure(basic({ webhook: '' }))
    assert.equal(notifier.wants('backend_status'), false)
  })

  test('a full queue drops the oldest and notify never blocks', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    const sent: string[] = []
    const notifier = new Notifier({
      queueLimit: 2,
      post: async (_url, payload) => {
        await gate
        sent.push((payload as { message: string }).message)
      },
    })
    notifier.configure(basic())
    for (let i = 0; i < 5; i++) notifier.notify({ ...N, message: `m${i}` })
    assert.equal(notifier.dropped, 2)
    release()
    await notifier.close()
    // m0 was already being sent; m1 and m2 were dropped for m3 and m4.
    assert.deepEqual(sent, ['m0', 'm3', 'm4'])
  })

  test('delivers a JSON POST to a real receiver through the notification bus', async () => {
    const bodies: unknown[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        bodies.push({ type: req.headers['content-type'], body: JSON.parse(body) })
        res.end('ok')
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    const notifier = new Notifier()
    notifier.install()
    try {
      notifier.configure(basic({ webhook: `http://127.0.0.1:${port}/hook` }))
      emitNotification(N)
      await eventually(() => assert.equal(bodies.length, 1), 5000)
      const got = bodies[0] as { type: string; body: { category: string; message: string } }
      assert.match(got.type, /application\/json/)
      assert.equal(got.body.category, 'backend_status')
      assert.equal(got.body.message, 'b is down')
    } finally {
      await notifier.close()
      await new Promise<void>((r) => server.close(() => r()))
    }
  })

  test('a failing receiver is survived', async () => {
    const notifier = new Notifier({ post: () => Promise.reject(new Error('refused')) })
    notifier.configure(basic())
    notifier.notify(N)
    notifier.notify(N)
    await notifier.close()
  })
})
