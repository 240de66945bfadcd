// The admin web UI: a hash router over the pages, the session, and the live event stream.
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, setCsrf } from './api.js'
import { AuditPage } from './audit.jsx'
import { CategoryPage } from './category.jsx'
import { Dashboard } from './dashboard.jsx'
import { ItemPage } from './item.jsx'
import { Login } from './login.jsx'
import { CATEGORIES } from './schema.js'
import { VersionPage, VersionsPage } from './versions.jsx'
import './app.css'

function useHash() {
  const [hash, setHash] = useState(location.hash.slice(1) || '/')
  useEffect(() => {
    const on = () => setHash(location.hash.slice(1) || '/')
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return hash
}

// One EventSource while logged in; every event bumps `tick` so pages reload their data.
function useLiveEvents(enabled) {
  const [tick, setTick] = useState(0)
  const [notice, setNotice] = useState(null)
  const [connected, setConnected] = useState(false)
  useEffect(() => {
    if (!enabled) return undefined
    const source = new EventSource('api/v1/events')
    source.onopen = () => setConnected(true)
    source.onerror = () => setConnected(false)
    const bump = () => setTick((t) => t + 1)
    source.addEventListener('version.published', (e) => {
      const meta = JSON.parse(e.data)
      setNotice({
        kind: 'ok',
        text: `Version ${meta.number} applied (${meta.source}, ${meta.author?.id ?? ''})`,
      })
      bump()
    })
    source.addEventListener('version.rejected', (e) => {
      const data = JSON.parse(e.data)
      setNotice({ kind: 'error', text: `A config change was rejected: ${data.errors[0] ?? ''}` })
      bump()
    })
    source.addEventListener('audit', bump)
    return () => source.close()
  }, [enabled])
  return { tick, notice, connected, clearNotice: () => setNotice(null) }
}

function route(hash) {
  const parts = hash
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent)
  return parts
}

function Nav({ hash, user, onLogout, connected }) {
  const link = (href, text) => (
    <li>
      <a
        href={`#${href}`}
        aria-current={
          hash === href || (href !== '/' && hash.startsWith(`${href}/`)) ? 'page' : undefined
        }
      >
        {text}
      </a>
    </li>
  )
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <span class="brand">pingap-ts</span>
      <nav aria-label="Main">
        <ul>
          {link('/', 'Dashboard')}
          {CATEGORIES.map(([c, text]) => link(c === 'basic' ? '/c/basic/basic' : `/c/${c}`, text))}
          {link('/versions', 'History')}
          {link('/audit', 'Audit')}
        </ul>
      </nav>
      <span class="who">
        <span
          class={connected ? 'dot on' : 'dot'}
          title={connected ? 'live updates on' : 'live updates off'}
        />
        {user}
        <button type="button" class="link" onClick={onLogout}>
          Log out
        </button>
      </span>
    </header>
  )
}

function Page({ parts, tick }) {
  const [first, second, third] = parts
  if (first === 'c' && second === 'basic') return <ItemPage category="basic" name="" tick={tick} />
  if (first === 'c' && second && third)
    return <ItemPage category={second} name={third === '+new' ? null : third} tick={tick} />
  if (first === 'c' && second) return <CategoryPage category={second} tick={tick} />
  if (first === 'versions' && second) return <VersionPage number={Number(second)} tick={tick} />
  if (first === 'versions') return <VersionsPage tick={tick} />
  if (first === 'audit') return <AuditPage tick={tick} />
  return <Dashboard tick={tick} />
}

function App() {
  const hash = useHash()
  const [session, setSession] = useState(undefined)
  const live = useLiveEvents(Boolean(session))
  useEffect(() => {
    api('GET', '/session').then(
      ({ data }) => {
        setCsrf(data.csrfToken)
        setSession(data)
      },
      () => setSession(null),
    )
  }, [])
  if (session === undefined) return <p class="loading">Loading…</p>
  if (session === null) {
    return (
      <Login
        onLogin={(data) => {
          setCsrf(data.csrfToken)
          setSession(data)
        }}
      />
    )
  }
  const logout = async () => {
    await api('POST', '/logout').catch(() => undefined)
    setCsrf(null)
    setSession(null)
  }
  return (
    <>
      <Nav hash={hash} user={session.user} onLogout={logout} connected={live.connected} />
      {live.notice && (
        <div class={`notice ${live.notice.kind}`} role="status">
          {live.notice.text}
          <button type="button" class="link" onClick={live.clearNotice} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <Page parts={route(hash)} tick={live.tick} />
      </main>
    </>
  )
}

render(<App />, document.getElementById('app'))
