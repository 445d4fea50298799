/**
 * The tls-server-end-point channel binding (RFC 5929 section 4), the only
 * channel binding type PostgreSQL supports: a hash of the server's certificate,
 * taken with the hash function of the certificate's own signature algorithm.
 */

import { createHash } from 'node:crypto';
import { InterfaceError } from '../errors/client.js';

/** Node hash names, keyed by the hash algorithm's OID (used inside RSASSA-PSS parameters). */
const HASH_BY_OID: Readonly<Record<string, string>> = Object.freeze({
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.7': 'sha3-224',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
});

const RSASSA_PSS_OID = '1.2.840.113549.1.1.10';

/**
 * The hash each signature algorithm uses, keyed by OID. `null` marks
 * algorithms that use no single hash (EdDSA), for which RFC 5929 leaves the
 * binding undefined.
 */
const SIGNATURE_HASH_BY_OID: Readonly<Record<string, string | null>> = Object.freeze({
  '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.3.14.3.2.29': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha1',
  '2.16.840.1.101.3.4.3.1': 'sha224',
  '2.16.840.1.101.3.4.3.2': 'sha256',
  '2.16.840.1.101.3.4.3.3': 'sha384',
  '2.16.840.1.101.3.4.3.4': 'sha512',
  '2.16.840.1.101.3.4.3.5': 'sha3-224',
  '2.16.840.1.101.3.4.3.6': 'sha3-256',
  '2.16.840.1.101.3.4.3.7': 'sha3-384',
  '2.16.840.1.101.3.4.3.8': 'sha3-512',
  '2.16.840.1.101.3.4.3.9': 'sha3-224',
  '2.16.840.1.101.3.4.3.10': 'sha3-256',
  '2.16.840.1.101.3.4.3.11': 'sha3-384',
  '2.16.840.1.101.3.4.3.12': 'sha3-512',
  '2.16.840.1.101.3.4.3.13': 'sha3-224',
  '2.16.840.1.101.3.4.3.14': 'sha3-256',
  '2.16.840.1.101.3.4.3.15': 'sha3-384',
  '2.16.840.1.101.3.4.3.16': 'sha3-512',
  '1.3.101.112': null,
  '1.3.101.113': null,
});

/** Hash names as they appear inside signature algorithm names, most specific first. */
const HASH_NAME_PATTERNS: readonly (readonly [string, string])[] = [
  ['sha3512', 'sha3-512'],
  ['sha3384', 'sha3-384'],
  ['sha3256', 'sha3-256'],
  ['sha3224', 'sha3-224'],
  ['sha512', 'sha512'],
  ['sha384', 'sha384'],
  ['sha256', 'sha256'],
  ['sha224', 'sha224'],
  ['sha1', 'sha1'],
  ['md5', 'md5'],
];

/**
 * The tls-server-end-point channel binding data for a server certificate: its
 * DER encoding hashed with the hash of its signature algorithm, where MD5 and
 * SHA-1 are replaced by SHA-256 (RFC 5929 section 4.1).
 *
 * `signatureAlgorithm` is the certificate's signature algorithm as a dotted OID
 * or an OpenSSL-style name ('sha256WithRSAEncryption', 'ecdsa-with-SHA384',
 * 'RSA-SHA256'). When omitted it is read from `certDer`, which is what to do
 * with Node's `getPeerCertificate().raw`, since Node does not report it. For
 * RSASSA-PSS the hash is read from the certificate's PSS parameters.
 *
 * @throws InterfaceError for a malformed certificate, an unknown algorithm, or
 * one without a single hash function (Ed25519, Ed448), with which PostgreSQL
 * cannot do channel binding either.
 */
export function tlsServerEndPointHash(certDer: Uint8Array, signatureAlgorithm?: string): Uint8Array {
  const algorithm = signatureAlgorithm ?? certificateSignatureAlgorithm(certDer);
  let hash = hashForAlgorithm(algorithm, certDer);
  if (hash === 'md5' || hash === 'sha1') hash = 'sha256';
  return new Uint8Array(createHash(hash).update(certDer).digest());
}

/**
 * The OID, in dotted form, of the signature algorithm in an X.509 certificate
 * (the `signatureAlgorithm` field that follows `tbsCertificate`).
 *
 * @throws InterfaceError when `certDer` is not a DER-encoded certificate.
 */
export function certificateSignatureAlgorithm(certDer: Uint8Array): string {
  return readSignatureAlgorithm(certDer).oid;
}

function hashForAlgorithm(algorithm: string, certDer: Uint8Array): string {
  const trimmed = algorithm.trim();
  if (/^[0-2](\.\d+)+$/.test(trimmed)) {
    if (trimmed === RSASSA_PSS_OID) return pssHash(certDer);
    const fromSignature = SIGNATURE_HASH_BY_OID[trimmed];
    if (fromSignature === null) throw noSingleHash(trimmed);
    const hash = fromSignature ?? HASH_BY_OID[trimmed];
    if (hash !== undefined) return hash;
    throw unknownAlgorithm(trimmed);
  }
  const key = trimmed.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (key.includes('pss')) return pssHash(certDer);
  if (key.includes('ed25519') || key.includes('ed448')) throw noSingleHash(trimmed);
  for (const [pattern, hash] of HASH_NAME_PATTERNS) {
    if (key.includes(pattern)) return hash;
  }
  throw unknownAlgorithm(trimmed);
}

/** The hash of an RSASSA-PSS signature: parameter [0] hashAlgorithm, SHA-1 when absent. */
function pssHash(certDer: Uint8Array): string {
  const { oid, params } = readSignatureAlgorithm(certDer);
  if (oid !== RSASSA_PSS_OID) {
    throw new InterfaceError(
      `cannot compute tls-server-end-point channel binding: RSASSA-PSS was named but the certificate ` +
        `is signed with ${oid}; omit the signature algorithm to read it from the certificate`,
    );
  }
  if (params === undefined || params.tag !== 0x30) return 'sha1';
  if (params.start === params.end) return 'sha1';
  const first = readTlv(certDer, params.start, params.end);
  if (first.tag !== 0xa0) return 'sha1';
  const hashAlgorithm = readTlv(certDer, first.start, first.end);
  expectTag(hashAlgorithm, 0x30, 'RSASSA-PSS hashAlgorithm');
  const hashOid = decodeOid(certDer, expectTag(readTlv(certDer, hashAlgorithm.start, hashAlgorithm.end), 0x06, 'OID'));
  const hash = HASH_BY_OID[hashOid];
  if (hash === undefined) throw unknownAlgorithm(`RSASSA-PSS with hash ${hashOid}`);
  return hash;
}

/** A DER element: its tag, and where its contents start and end. */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function readSignatureAlgorithm(der: Uint8Array): { oid: string; params: Tlv | undefined } {
  const cert = expectTag(readTlv(der, 0, der.length), 0x30, 'Certificate');
  if (cert.end !== der.length) throw malformed('bytes follow the certificate');
  const tbs = expectTag(readTlv(der, cert.start, cert.end), 0x30, 'tbsCertificate');
  const algorithm = expectTag(readTlv(der, tbs.end, cert.end), 0x30, 'signatureAlgorithm');
  const oidTlv = expectTag(readTlv(der, algorithm.start, algorithm.end), 0x06, 'signatureAlgorithm OID');
  const params = oidTlv.end < algorithm.end ? readTlv(der, oidTlv.end, algorithm.end) : undefined;
  return { oid: decodeOid(der, oidTlv), params };
}

/** Reads one DER element at `offset`, checking every length against `limit`. */
function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw malformed('truncated element');
  const tag = der[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw malformed('multi-byte tags are not used in certificates');
  const first = der[offset + 1] ?? 0;
  let pos = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw malformed('unsupported length encoding');
    if (pos + count > limit) throw malformed('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[pos + i] ?? 0);
    pos += count;
  }
  if (length > limit - pos) throw malformed('element longer than its container');
  return { tag, start: pos, end: pos + length };
}

function expectTag(tlv: Tlv, tag: number, what: string): Tlv {
  if (tlv.tag !== tag) throw malformed(`${what} has tag 0x${tlv.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return tlv;
}

function decodeOid(der: Uint8Array, tlv: Tlv): string {
  if (tlv.start === tlv.end) throw malformed('empty OID');
  const arcs: number[] = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    const byte = der[i] ?? 0;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw malformed('OID arc too large');
    if (!(byte & 0x80)) {
      if (arcs.length === 0) {
        const top = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(top, value - 40 * top);
      } else {
        arcs.push(value);
      }
      value = 0;
    } else if (i === tlv.end - 1) {
      throw malformed('truncated OID');
    }
  }
  return arcs.join('.');
}

function malformed(detail: string): InterfaceError {
  return new InterfaceError(
    `cannot compute tls-server-end-point channel binding: the server certificate is not valid DER (${detail}); ` +
      'pass the raw DER bytes, such as getPeerCertificate().raw',
  );
}

function unknownAlgorithm(algorithm: string): InterfaceError {
  return new InterfaceError(
    `cannot compute tls-server-end-point channel binding: unknown certificate signature algorithm "${algorithm}"; ` +
      'pass a dotted OID or a name such as sha256WithRSAEncryption, or set channel_binding=disable',
  );
}

function noSingleHash(algorithm: string): InterfaceError {
  return new InterfaceError(
    `cannot compute tls-server-end-point channel binding: the certificate signature algorithm ${algorithm} ` +
      'uses no single hash function, so RFC 5929 defines no binding for it; use a server certificate signed ' +
      'with RSA or ECDSA, or set channel_binding=disable',
  );
}
