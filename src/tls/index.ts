/** TLS certificates and server settings (spec §1.10, §4.2): the public surface of src/tls. */
export {
  DEFAULT_WARNING_DAYS,
  hasKeyPair,
  loadCertificate,
  sanNames,
  sniKey,
  splitPemChain,
  type LoadedCertificate,
} from './certificate.ts'
export { readPemSource } from './pem-source.ts'
export { buildSniStore, EMPTY_SNI_STORE, SniStore, type DefaultKeyPair } from './sni-store.ts'
export { parseTlsVersion, serverTlsSettings, type ServerTlsSettings } from './server-options.ts'
export {
  reportValidity,
  validityProblems,
  ValidityMonitor,
  type ValidityProblem,
} from './validity.ts'
export {
  acmeDirectory,
  acmeSettings,
  CHALLENGE_SERVER_NAME,
  challengeAddr,
  DEFAULT_CHALLENGE_ADDR,
  DEFAULT_RENEW_DAYS,
  HTTP01_TOKEN_REMARK,
  implicitChallengeServer,
  LETS_ENCRYPT_PRODUCTION,
  LETS_ENCRYPT_STAGING,
  usesHttp01,
  type AcmeSettings,
} from './acme-conf.ts'
