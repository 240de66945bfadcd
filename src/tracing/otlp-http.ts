/**
 * OTLP/HTTP: each batch is encoded as protobuf by otlp-proto.ts (or as JSON by otlp-json.ts
 * with `protocol=http/json`), gzipped at level 1 (about
 * 15 % larger than the default level for a third of its CPU), and POSTed over one keep-alive
 * connection. gzip runs synchronously, on the batch's own event-loop turn: the asynchronous
 * form cost more main-thread CPU in its bookkeeping than the whole compression (profiled under
 * load), for a pause of well under a millisecond per 512-span batch. Throttling and gateway answers (429, 502, 503, 504)
 * are retried with a growing delay within `max_export_timeout`; a reset kept-alive connection
 * is retried once at once.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { gzipSync, constants as zlib } from 'node:zlib'
import type { OtlpOptions } from './exporter-options.ts'
import type { BatchExporter } from './batcher.ts'
import { encodeJson, jsonEnvelope } from './otlp-json.ts'
import { encodeProto, protoEnvelope } from './otlp-proto.ts'
import type { RequestSpans } from './spans.ts'

const RETRYABLE = new Set([429, 502, 503, 504])
const FIRST_RETRY_MS = 1_000
const MAX_RETRY_MS = 5_000

/** An export answered with a status other than 2xx. */
class ExportStatusError extends Error {
  readonly status: number
  constructor(status: number) {
    super(`the OTLP endpoint answered ${status}`)
    this.status = status
  }
}

function isStaleConnection(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return code === 'ECONNRESET' || code === 'EPIPE'
}

function post(
  url: URL,
  body: Buffer,
  headers: Record<string, string>,
  agent: HttpAgent,
  timeoutMs: number,
): Promise<void> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers, agent, timeout: timeoutMs })
    req.on('timeout', () => req.destroy(new Error(`OTLP export timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.on('response', (res: IncomingMessage) => {
      res.resume()
      res.on('error', reject)
      res.on('end', () => {
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) resolve()
        else reject(new ExportStatusError(status))
      })
    })
    req.end(body)
  })
}

/** The body encoder of `options.encoding` and its Content-Type, the envelope naming `service`. */
function batchEncoder(
  options: OtlpOptions,
  service: string,
): { contentType: string; encode: (batch: readonly RequestSpans[]) => Buffer } {
  if (options.encoding === 'json') {
    const envelope = jsonEnvelope(service, 'pingap-ts')
    return {
      contentType: 'application/json',
      encode: (batch) => encodeJson(envelope, batch, options.maxAttributes),
    }
  }
  const envelope = protoEnvelope(service, 'pingap-ts')
  return {
    contentType: 'application/x-protobuf',
    encode: (batch) => encodeProto(envelope, batch, options.maxAttributes),
  }
}

/** The exporter of one server's spans to an OTLP/HTTP endpoint. */
export function createHttpExporter(options: OtlpOptions, serviceName: string): BatchExporter {
  const url = new URL(options.url)
  const { contentType, encode } = batchEncoder(options, serviceName)
  const agentOptions = { keepAlive: true, maxSockets: 1 }
  const agent =
    url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions)
  const gzipped = options.compression === 'gzip'
  const headers: Record<string, string> = { 'content-type': contentType }
  if (gzipped) headers['content-encoding'] = 'gzip'

  const sendWithRetries = async (body: Buffer, sent: Record<string, string>): Promise<void> => {
    const deadline = Date.now() + options.exportTimeoutMs
    let resent = false
    for (let delay = FIRST_RETRY_MS; ; delay = Math.min(delay * 1.5, MAX_RETRY_MS)) {
      try {
        return await post(url, body, sent, agent, options.timeoutMs)
      } catch (err) {
        // A kept-alive connection the collector closed while idle: send once more, at once.
        if (!resent && isStaleConnection(err)) {
          resent = true
          continue
        }
        const retry = err instanceof ExportStatusError && RETRYABLE.has(err.status)
        if (!retry || Date.now() + delay > deadline) throw err
        await new Promise((r) => setTimeout(r, delay).unref())
      }
    }
  }

  return {
    async export(batch: readonly RequestSpans[]): Promise<void> {
      const encoded = encode(batch)
      const body = gzipped ? gzipSync(encoded, { level: zlib.Z_BEST_SPEED }) : encoded
      await sendWithRetries(body, { ...headers, 'content-length': String(body.length) })
    },
    shutdown(): Promise<void> {
      agent.destroy()
      return Promise.resolve()
    },
  }
}
