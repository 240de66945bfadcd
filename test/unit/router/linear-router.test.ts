import { serverRouterContract } from './server-router.contract.ts'
import { linearRouter } from '../../../src/router/linear-router.ts'

serverRouterContract('linearRouter', linearRouter)
