/**
 * The ACME module's public surface. The daemon uses `AcmeIssuer` through the `Issuer` contract;
 * `AcmeClient` and the helpers are exported for tests and tools.
 */
export { AcmeIssuer, type AcmeIssuerOptions } from './issuer.js';
export { AcmeClient, type AcmeClientOptions } from './client.js';
export type { AccountKeyStore } from './account.js';
export type { AcmeOrder, AcmeAuthorization, AcmeChallenge, Fetched } from './shapes.js';
export { parseRenewalInfo } from './ari.js';
export {
  AcmeError,
  ACME_CODES,
  shortProblemType,
  parseRetryAfterHeader,
  parseRetryAfterText,
  problemFields,
  type AcmeSubproblem,
} from './errors.js';
export type { Directory, DirectoryMeta } from './directory.js';
export { parseDirectory } from './directory.js';
export { NoncePool } from './nonce-pool.js';
export {
  signJws,
  eabJws,
  jwkThumbprint,
  publicJwk,
  algorithmFor,
  b64u,
  type Jwk,
  type JwsAlg,
  type FlattenedJws,
} from './jws.js';
export { parseAccountKey, createAccountKeyPem } from './account-key.js';
export { certIdOf, certIdFromHex, splitChain, pemCertificates, topIssuerCn } from './chain.js';
export { USER_AGENT, parseLinks } from './transport.js';
export { IssuerRegistry, type IssuerChoice, type RegistryEntry } from './registry.js';
