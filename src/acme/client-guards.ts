/**
 * What acme-client leaves to its caller: more `badNonce` retries, a quick and clear failure
 * when the CA is down, and a readable error when it goes away during an order.
 */
import type * as Acme from 'acme-client'

/** How often one signed request is re-sent after a `badNonce` refusal (acme-client: 5). */
const BAD_NONCE_RETRIES = 10

/**
 * A CA may refuse any nonce (`badNonce`, RFC 8555 §6.5) and the client must then retry with
 * the fresh one it got. acme-client retries 5 times per request; an order signs a dozen
 * requests, so a CA refusing half of its nonces (Pebble's `PEBBLE_WFE_NONCEREJECT=50`) would
 * fail one order in six and cost the back-off. Ten retries make that one in several hundred.
 * The setting is not an option of acme-client, hence the guarded property write.
 */
export function allowNonceRetries(client: Acme.Client): void {
  const http = (client as unknown as { http?: { maxBadNonceRetries?: unknown } }).http
  if (http !== undefined && typeof http.maxBadNonceRetries === 'number') {
    http.maxBadNonceRetries = BAD_NONCE_RETRIES
  }
}

/** How long the CA's directory may take to answer before an order is given up. */
const DIRECTORY_TIMEOUT_MS = 15_000

/** The errno-like code or message behind a failed fetch (`fetch failed` alone says nothing). */
function networkReason(err: unknown): string {
  const cause = err instanceof Error ? (err.cause ?? err) : err
  if (cause instanceof Error) {
    // DOMException (the timeout) has a numeric legacy `code`; only errno strings help here.
    const code: unknown = (cause as { code?: unknown }).code
    return typeof code === 'string' ? `${code} (${cause.message})` : cause.message
  }
  return String(cause)
}

/**
 * Reads the CA's directory once before an order. A CA that is down then fails the order at
 * once with the reason, instead of after acme-client's five connection retries (75 s), which
 * end in an error that names nothing (a TypeError from its retry interceptor).
 */
export async function checkDirectory(url: string, timeoutMs = DIRECTORY_TIMEOUT_MS): Promise<void> {
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  } catch (err) {
    throw new Error(`the ACME directory ${url} cannot be reached: ${networkReason(err)}`)
  }
  await res.body?.cancel()
  if (!res.ok) throw new Error(`the ACME directory ${url} answered HTTP ${res.status}`)
}

/**
 * acme-client's retry interceptor ends a request that never got an answer (the CA went away
 * during the order) with `TypeError: Cannot read properties of undefined (reading 'config')`;
 * say what it means instead.
 */
export function clearOrderError(err: unknown): unknown {
  if (err instanceof TypeError && /reading 'config'/.test(err.message)) {
    const message =
      'the ACME server stopped answering during the order (connection retries exhausted)'
    return new Error(message, { cause: err })
  }
  return err
}
