/** The test DNS server now lives in test/helpers (the e2e tests use it too). */
export { startDnsStub, type DnsStub } from '../../../helpers/dns-server.ts'
