// The login form: a session cookie (HttpOnly) and the CSRF token come back.
import { useState } from 'preact/hooks'
import { api } from './api.js'

export function Login({ onLogin }) {
  const [user, setUser] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const { data } = await api('POST', '/login', { body: { user, password } })
      onLogin(data)
    } catch (err) {
      setError(err.status === 401 ? 'Wrong user name or password.' : err.message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <main class="login" id="main">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">pingap-ts admin</h1>
        <label>
          User
          <input
            name="user"
            autocomplete="username"
            value={user}
            onInput={(e) => setUser(e.currentTarget.value)}
            required
            autofocus
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  )
}
