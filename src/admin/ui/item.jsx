// One item: a form built from the server's schema, or its raw TOML; saved with If-Match (or
// If-None-Match: * for a new item). Validation issues from the server appear next to the field
// they name, the rest above the form.
import { useEffect, useState } from 'preact/hooks'
import { api, itemPath } from './api.js'
import { Issues } from './issues.jsx'
import { fromText, label, PRIMARY, toText } from './schema.js'

let schemaCache = null
function loadSchema() {
  schemaCache = schemaCache || api('GET', '/schema').then(({ data }) => data)
  return schemaCache
}

function fieldIssues(issues, prefix, key) {
  return issues.filter(
    (i) => i.path === `${prefix}.${key}` || i.path.startsWith(`${prefix}.${key}[`),
  )
}

function Field({ name, spec, value, onInput, issues, pluginCategories }) {
  const id = `f-${name}`
  const invalid = issues.length > 0
  const describedBy = invalid ? `${id}-err` : undefined
  const common = {
    id,
    name,
    'aria-invalid': invalid ? 'true' : undefined,
    'aria-describedby': describedBy,
  }
  let input
  const options = spec.oneOf || (name === 'category' && pluginCategories) || null
  if (spec.kind === 'bool') {
    input = (
      <select {...common} value={value} onChange={(e) => onInput(e.currentTarget.value)}>
        <option value="">(default)</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    )
  } else if (options) {
    input = (
      <select {...common} value={value} onChange={(e) => onInput(e.currentTarget.value)}>
        <option value="">(none)</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    )
  } else if (
    spec.kind === 'string[]' ||
    spec.kind === 'table[]' ||
    name === 'tls_cert' ||
    name === 'tls_key' ||
    name === 'value'
  ) {
    input = (
      <textarea
        {...common}
        rows={spec.kind === 'string[]' ? 3 : 5}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    )
  } else {
    const placeholder =
      spec.kind === 'duration' ? 'e.g. 10s' : spec.kind === 'bytesize' ? 'e.g. 1mb' : undefined
    input = (
      <input
        {...common}
        type={spec.kind === 'int' ? 'number' : 'text'}
        placeholder={placeholder}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    )
  }
  return (
    <div class={invalid ? 'field invalid' : 'field'}>
      <label for={id}>
        {label(name)}
        {spec.required ? ' *' : ''}
        {spec.kind === 'string[]' && <small> (one per line)</small>}
      </label>
      {input}
      {invalid && (
        <p class="field-error" id={describedBy}>
          {issues.map((i) => i.message).join('; ')}
        </p>
      )}
    </div>
  )
}

function formTexts(schema, item) {
  const texts = {}
  for (const [key, spec] of Object.entries(schema.keys)) texts[key] = toText(spec.kind, item[key])
  return texts
}

export function ItemPage({ category, name, tick }) {
  const isNew = name === null
  const [schema, setSchema] = useState(null)
  const [loaded, setLoaded] = useState({ item: isNew ? {} : null, etag: null })
  const [texts, setTexts] = useState({})
  const [newName, setNewName] = useState('')
  const [tab, setTab] = useState(category === 'plugins' && isNew ? 'toml' : 'form')
  const [toml, setToml] = useState(
    category === 'plugins' && isNew ? 'category = "ping"\npath = "/ping"\n' : '',
  )
  const [error, setError] = useState(null)
  const [saved, setSaved] = useState(null)
  const [reload, setReload] = useState(0)
  const [busy, setBusy] = useState(false)
  const path = isNew
    ? null
    : category === 'basic'
      ? '/config/basic'
      : `/config/${category}/${encodeURIComponent(name)}`

  useEffect(() => {
    loadSchema().then(setSchema, setError)
  }, [])
  useEffect(() => {
    if (isNew) return
    Promise.all([api('GET', path), api('GET', `${path}?format=toml`)]).then(([json, text]) => {
      setLoaded({ item: json.data, etag: json.etag })
      setToml(text.data)
    }, setError)
  }, [path, reload, isNew])
  useEffect(() => {
    if (schema && loaded.item) setTexts(formTexts(schema.categories[category], loaded.item))
  }, [schema, loaded])

  if (!schema || !schema.categories[category])
    return error ? <Issues error={error} /> : <p class="loading">Loading…</p>
  if (!loaded.item) return error ? <Issues error={error} /> : <p class="loading">Loading…</p>
  const catSchema = schema.categories[category]
  const itemName = isNew ? newName.trim() : name
  const prefix = itemPath(category, itemName)
  const issues = (error && error.data && error.data.issues) || []

  const save = async (e) => {
    e.preventDefault()
    if (isNew && itemName === '') {
      setError({ status: 400, message: 'A name is required.', data: {} })
      return
    }
    setBusy(true)
    setError(null)
    setSaved(null)
    const target =
      category === 'basic' ? '/config/basic' : `/config/${category}/${encodeURIComponent(itemName)}`
    const options = isNew ? { noneMatch: true } : { etag: loaded.etag }
    try {
      let body
      if (tab === 'toml') {
        body = toml
        options.type = 'application/toml'
      } else {
        body = { ...loaded.item }
        for (const [key, spec] of Object.entries(catSchema.keys)) {
          const value = fromText(spec.kind, texts[key] ?? '')
          if (value === undefined) delete body[key]
          else body[key] = value
        }
      }
      const { data } = await api('PUT', target, { ...options, body })
      setSaved(data)
      if (isNew)
        location.hash =
          category === 'basic'
            ? '#/c/basic/basic'
            : `#/c/${category}/${encodeURIComponent(itemName)}`
      else setReload((n) => n + 1)
    } catch (err) {
      setError(err)
      if (err.status === 412) setReload((n) => n + 1)
    } finally {
      setBusy(false)
    }
  }

  const keys = Object.keys(catSchema.keys)
  const primary = (PRIMARY[category] || []).filter((k) => keys.includes(k))
  const more = keys.filter((k) => !primary.includes(k))
  const field = (key) => (
    <Field
      key={key}
      name={key}
      spec={catSchema.keys[key]}
      value={texts[key] ?? ''}
      onInput={(v) => setTexts({ ...texts, [key]: v })}
      issues={fieldIssues(issues, prefix, key)}
      pluginCategories={category === 'plugins' ? schema.pluginCategories : null}
    />
  )
  const fieldKeys = new Set(keys.map((k) => `${prefix}.${k}`))
  const isFieldIssue = (i) => [...fieldKeys].some((p) => i.path === p || i.path.startsWith(`${p}[`))
  return (
    <>
      <div class="title">
        <h1>
          {category === 'basic'
            ? 'Basic settings'
            : isNew
              ? `New ${category.replace(/s$/, '')}`
              : `${category}.${name}`}
        </h1>
        {category !== 'basic' && <a href={`#/c/${category}`}>Back to {category}</a>}
      </div>
      <div class="tabs" role="tablist">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'form'}
          onClick={() => setTab('form')}
        >
          Form
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'toml'}
          onClick={() => setTab('toml')}
        >
          TOML
        </button>
      </div>
      {saved && (
        <p class="banner ok" role="status">
          Saved: version {saved.version.number} ({saved.status}).
          {saved.requiresRestart.length > 0 &&
            ` Needs a restart: ${saved.requiresRestart.join(', ')}.`}
        </p>
      )}
      {error && <Issues error={error} skip={tab === 'form' ? isFieldIssue : undefined} />}
      <form onSubmit={save} class="item" novalidate>
        {isNew && category !== 'basic' && (
          <div class="field">
            <label for="f-name">name *</label>
            <input
              id="f-name"
              name="name"
              value={newName}
              onInput={(e) => setNewName(e.currentTarget.value)}
              required
            />
          </div>
        )}
        {tab === 'form' ? (
          <>
            <div class="grid">{primary.map(field)}</div>
            {more.length > 0 && (
              <details>
                <summary>More fields ({more.length})</summary>
                <div class="grid">{more.map(field)}</div>
              </details>
            )}
          </>
        ) : (
          <div class="field">
            <label for="f-toml">
              TOML of {isNew ? 'the new item' : prefix} (its keys, without the table header)
            </label>
            <textarea
              id="f-toml"
              name="toml"
              class="code"
              rows={16}
              spellcheck={false}
              value={toml}
              onInput={(e) => setToml(e.currentTarget.value)}
            />
          </div>
        )}
        <div class="buttons">
          <button type="submit" disabled={busy}>
            {isNew ? 'Create' : 'Save'}
          </button>
        </div>
      </form>
    </>
  )
}
