/**
 * The private key types a certificate may have (`--key-type`), as plain data: the domain plans with
 * them, the PKI room generates and recognises them. ec256 = ECDSA P-256 (the default).
 */
export const KEY_TYPES = ['ec256', 'ec384', 'rsa2048', 'rsa3072', 'rsa4096'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
