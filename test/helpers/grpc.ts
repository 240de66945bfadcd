/**
 * A real @grpc/grpc-js server for tests, with services declared by hand (raw Buffer messages),
 * so no .proto file or protobuf library is needed: an echo service (unary, server streaming,
 * and an error call) and the standard grpc.health.v1.Health service.
 */
import * as grpc from '@grpc/grpc-js'

const raw = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
}

/**
 * `test.Echo`: Say (unary echo), Count (server streaming: n messages), Chat (bidirectional echo),
 * Fail (NOT_FOUND).
 */
export const ECHO_SERVICE = {
  Say: { path: '/test.Echo/Say', requestStream: false, responseStream: false, ...raw },
  Count: { path: '/test.Echo/Count', requestStream: false, responseStream: true, ...raw },
  Fail: { path: '/test.Echo/Fail', requestStream: false, responseStream: false, ...raw },
  Chat: { path: '/test.Echo/Chat', requestStream: true, responseStream: true, ...raw },
} as const satisfies grpc.ServiceDefinition

const HEALTH_SERVICE = {
  Check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    ...raw,
  },
} as const satisfies grpc.ServiceDefinition

export interface TestGrpcServer {
  readonly addr: string
  readonly port: number
  /** Serving status per service name ('' = the whole server): 1 SERVING, 2 NOT_SERVING. */
  readonly health: Map<string, number>
  /** Metadata of every call seen. */
  readonly seen: grpc.Metadata[]
  close(): Promise<void>
}

function serviceName(request: Buffer): string {
  return request.length > 2 && request[0] === 0x0a ? request.subarray(2).toString() : ''
}

/** Starts an insecure (h2c) gRPC server on 127.0.0.1. */
export async function startGrpcServer(): Promise<TestGrpcServer> {
  const server = new grpc.Server()
  const health = new Map<string, number>([['', 1]])
  const seen: grpc.Metadata[] = []
  server.addService(ECHO_SERVICE, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      seen.push(call.metadata)
      cb(null, Buffer.concat([Buffer.from('echo:'), call.request]))
    },
    Count: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      seen.push(call.metadata)
      const n = Number(call.request.toString())
      for (let i = 1; i <= n; i++) call.write(Buffer.from(`item ${i}`))
      call.end()
    },
    Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      seen.push(call.metadata)
      call.on('data', (m: Buffer) => call.write(Buffer.concat([Buffer.from('re:'), m])))
      call.on('end', () => call.end())
    },
    Fail: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      seen.push(call.metadata)
      cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' })
    },
  })
  server.addService(HEALTH_SERVICE, {
    Check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const status = health.get(serviceName(call.request))
      if (status === undefined) cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' })
      else cb(null, Buffer.from([0x08, status]))
    },
  })
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err === null ? resolve(p) : reject(err),
    ),
  )
  return {
    addr: `127.0.0.1:${port}`,
    port,
    health,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve())
        setTimeout(() => server.forceShutdown(), 2_000).unref()
      }),
  }
}

/** A client of the echo service at `addr` (h2c). */
export function echoClient(
  addr: string,
): grpc.Client & Record<string, grpc.MethodDefinition<Buffer, Buffer>> {
  const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo')
  return new Client(addr, grpc.credentials.createInsecure()) as never
}
