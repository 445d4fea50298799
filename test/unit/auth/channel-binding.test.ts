import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { certificateSignatureAlgorithm, tlsServerEndPointHash } from '../../../src/auth/channel-binding.js';
import { InterfaceError } from '../../../src/errors/client.js';

const fromBase64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// Self-signed certificates made with OpenSSL 3.0 (CN=pgjet-test). The expected
// digests were computed with `openssl dgst` over the DER files.
const certs = {
  ec384: fromBase64(
    'MIIBgjCCASegAwIBAgIUUdOt2KCRZ27A70wjBHgOrQMXqg0wCgYIKoZIzj0EAwMwFTETMBEGA1UEAwwKcGdqZXQtdGVzdDAg' +
    'Fw0yNjExMjQwMjQ3NThaGA8yMTI2MTAzMTAyNDc1OFowFTETMBEGA1UEAwwKcGdqZXQtdGVzdDBZMBMGByqGSM49AgEGCCqG' +
    'SM49AwEHA0IABK/Dlizfcr/kr8jZOEuKt5hj/yJxBJkWxcdJ86sSLWeKPEXYEEkp6sTVDvvvZJD9qqjmTx50ZWvMwa78IW8q' +
    '0ymjUzBRMB0GA1UdDgQWBBQ8sYIhuuJSeE9MFjUeWbWhgrTKZDAfBgNVHSMEGDAWgBQ8sYIhuuJSeE9MFjUeWbWhgrTKZDAP' +
    'BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMDA0kAMEYCIQC/kgQwaRHN4xUpumfGfr3ScotXBFn3tqQHwq0nPt5lrwIhANNN' +
    'PRjaoSPbjl6zSntrWeBijyesj+mnTNDiF2wXiokk',
  ),
  ec1: fromBase64(
    'MIIBgDCCASagAwIBAgIUc5Sa2OSPC+clUKikdHziE6Ftru8wCQYHKoZIzj0EATAVMRMwEQYDVQQDDApwZ2pldC10ZXN0MCAX' +
    'DTI2MTEyNDAyNDc1OFoYDzIxMjYxMDMxMDI0NzU4WjAVMRMwEQYDVQQDDApwZ2pldC10ZXN0MFkwEwYHKoZIzj0CAQYIKoZI' +
    'zj0DAQcDQgAEr8OWLN9yv+SvyNk4S4q3mGP/InEEmRbFx0nzqxItZ4o8RdgQSSnqxNUO++9kkP2qqOZPHnRla8zBrvwhbyrT' +
    'KaNTMFEwHQYDVR0OBBYEFDyxgiG64lJ4T0wWNR5ZtaGCtMpkMB8GA1UdIwQYMBaAFDyxgiG64lJ4T0wWNR5ZtaGCtMpkMA8G' +
    'A1UdEwEB/wQFMAMBAf8wCQYHKoZIzj0EAQNJADBGAiEAvK0Xyk+SQK5us3deQrSEzEQ9zaDLWClRvlWfftBKC7YCIQC5rJGp' +
    'qM+YAQs6ksdae9Lz+c+fzP5hV5J+kcJ5XeDIKA==',
  ),
  rsa256: fromBase64(
    'MIICCDCCAXGgAwIBAgIUQbRJNO0NgD9sguMnY3EipeCmRKkwDQYJKoZIhvcNAQELBQAwFTETMBEGA1UEAwwKcGdqZXQtdGVz' +
    'dDAgFw0yNjExMjQwMjQ3NThaGA8yMTI2MTAzMTAyNDc1OFowFTETMBEGA1UEAwwKcGdqZXQtdGVzdDCBnzANBgkqhkiG9w0B' +
    'AQEFAAOBjQAwgYkCgYEA05zZ1zuaJAfXhaG1Fliwz21KCqv7CxroRa1uh7aIJFuI01ioGF1x8eRLKmGyvWNE71xK9h9Nw6o0' +
    '8Ms77Bfk5YN/gSSfKeTUr3UYhRF4nYoMGrNPgBMEzISfGJCv9Yiwu81gUaHZNM9qHMtSNshRwD2Sa5DuiI+n0Rwe7y1rO5kC' +
    'AwEAAaNTMFEwHQYDVR0OBBYEFL8x8BwwaIc+K883GJMBPXTBTeWuMB8GA1UdIwQYMBaAFL8x8BwwaIc+K883GJMBPXTBTeWu' +
    'MA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADgYEAihEznUXVeev6imz8oJLCfk77fQSlMz7gPjB+1axTrGmfiEyE' +
    'ABydbZLzvfVwJHtIGrFMw4ZlOhpPQjW80n0hjaox0yB3nvXxCJeOzio4zz/09keborZexRiscxvGkHqReETjsDZCXbmcYaFg' +
    'sRCQOPQPzOJLw4BRHhScWdiYjfA=',
  ),
  pss512: fromBase64(
    'MIICcDCCAaWgAwIBAgIUP55OrymBDHB9iEr/bp3uwCDJ2gQwQQYJKoZIhvcNAQEKMDSgDzANBglghkgBZQMEAgMFAKEcMBoG' +
    'CSqGSIb3DQEBCDANBglghkgBZQMEAgMFAKIDAgEgMBUxEzARBgNVBAMMCnBnamV0LXRlc3QwIBcNMjYxMTI0MDI0NzU4WhgP' +
    'MjEyNjEwMzEwMjQ3NThaMBUxEzARBgNVBAMMCnBnamV0LXRlc3QwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBANOc2dc7' +
    'miQH14WhtRZYsM9tSgqr+wsa6EWtboe2iCRbiNNYqBhdcfHkSyphsr1jRO9cSvYfTcOqNPDLO+wX5OWDf4Eknynk1K91GIUR' +
    'eJ2KDBqzT4ATBMyEnxiQr/WIsLvNYFGh2TTPahzLUjbIUcA9kmuQ7oiPp9EcHu8tazuZAgMBAAGjUzBRMB0GA1UdDgQWBBS/' +
    'MfAcMGiHPivPNxiTAT10wU3lrjAfBgNVHSMEGDAWgBS/MfAcMGiHPivPNxiTAT10wU3lrjAPBgNVHRMBAf8EBTADAQH/MEEG' +
    'CSqGSIb3DQEBCjA0oA8wDQYJYIZIAWUDBAIDBQChHDAaBgkqhkiG9w0BAQgwDQYJYIZIAWUDBAIDBQCiAwIBIAOBgQAuSZn+' +
    'x824bhL+FKOdwup+2B8QMK7hm6zLXghi5GiA9NU/teJSo562JKKCDsjVvUhFVZUOI1rd6H3ClJSeKBKBPV3gKB3WJxg6HWMX' +
    'GIT9gH5VlUXGq93L2KZsU/KmkvQvndyy0KtvHbXQXlrbol9iqT8JONNCb+yjGsmm71kRjg==',
  ),
  ed: fromBase64(
    'MIIBQDCB86ADAgECAhRlV2uRjdArjwwjRUTYLFMI0PRCuTAFBgMrZXAwFTETMBEGA1UEAwwKcGdqZXQtdGVzdDAgFw0yNjEx' +
    'MjQwMjQ3NThaGA8yMTI2MTAzMTAyNDc1OFowFTETMBEGA1UEAwwKcGdqZXQtdGVzdDAqMAUGAytlcAMhAMKaPsZyLwUns8T9' +
    '523+gF+/+okTdTG8h4XlHe9LVAnXo1MwUTAdBgNVHQ4EFgQUlaPbOT9tE4iGAkXBuoUFTGZSBg4wHwYDVR0jBBgwFoAUlaPb' +
    'OT9tE4iGAkXBuoUFTGZSBg4wDwYDVR0TAQH/BAUwAwEB/zAFBgMrZXADQQBQghuikonQ/A+0T9HQHF8X2gotLOT3xmeVagQX' +
    'fr/n+RUraIMAW9Z7l2a++xCUwp8EVV5GJOBrNIuikkzCJ+UK',
  ),
};

const digests = {
  ec384Sha384:
    '819eae56e6980d113216f8f4ad78f0c05c2a5439717a439603469ba4b09baf30fa693b21b46134ef663a0c85ca84b55f',
  ec1Sha256: 'c995e0ebfe3703c8e92f53df0b2821a9704cd5e52911ed2418fbfc5a8f13adcd',
  rsa256Sha256: 'eb8a68b5f05baefc268f8eda2db9128cfa19fc138b1633ded164279c476d168b',
  pss512Sha512:
    'c76a6ff71ced52c49613f5be849c9a87a4cb542d36eaa47654499ea4d14978fc' +
    '7cb5d1c955245f446c03c80f4a871840af08f3ae4f46910f0ce8a76d010953cf',
};

/** Minimal DER encoder for hand-built certificate skeletons. */
function der(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(contents);
  const length =
    body.length < 0x80 ? [body.length] : body.length < 0x100 ? [0x81, body.length] : [0x82, body.length >> 8, body.length & 0xff];
  return new Uint8Array(Buffer.concat([Uint8Array.of(tag, ...length), body]));
}
const RSASSA_PSS_OID = Uint8Array.of(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a);

/** A structurally valid certificate whose signatureAlgorithm is RSASSA-PSS with the given parameters. */
function pssSkeleton(...params: Uint8Array[]): Uint8Array {
  return der(0x30, der(0x30), der(0x30, der(0x06, RSASSA_PSS_OID), ...params), der(0x03, Uint8Array.of(0)));
}

describe('certificateSignatureAlgorithm', () => {
  test('reads the signature algorithm OID of real certificates', () => {
    assert.equal(certificateSignatureAlgorithm(certs.ec384), '1.2.840.10045.4.3.3');
    assert.equal(certificateSignatureAlgorithm(certs.ec1), '1.2.840.10045.4.1');
    assert.equal(certificateSignatureAlgorithm(certs.rsa256), '1.2.840.113549.1.1.11');
    assert.equal(certificateSignatureAlgorithm(certs.pss512), '1.2.840.113549.1.1.10');
    assert.equal(certificateSignatureAlgorithm(certs.ed), '1.3.101.112');
  });

  test('rejects bytes that are not a DER certificate', () => {
    const malformed = [
      new Uint8Array(0),
      certs.rsa256.subarray(0, certs.rsa256.length - 1),
      new Uint8Array(Buffer.concat([certs.rsa256, Uint8Array.of(0)])),
      Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0x30, 0x80, 0x00, 0x00),
      der(0x30, der(0x30)),
      der(0x30, der(0x30), der(0x30, der(0x06))),
      der(0x30, der(0x30), der(0x30, der(0x06, Uint8Array.of(0x2a, 0x86)))),
      der(0x31, der(0x30), der(0x30, der(0x06, RSASSA_PSS_OID))),
    ];
    for (const bytes of malformed) {
      assert.throws(
        () => certificateSignatureAlgorithm(bytes),
        (e: unknown) => e instanceof InterfaceError && /not valid DER/.test(e.message),
        hex(bytes),
      );
    }
  });
});

describe('tlsServerEndPointHash (RFC 5929 section 4.1)', () => {
  test('hashes with the signature hash, read from the certificate', () => {
    assert.equal(hex(tlsServerEndPointHash(certs.ec384)), digests.ec384Sha384);
    assert.equal(hex(tlsServerEndPointHash(certs.rsa256)), digests.rsa256Sha256);
  });

  test('upgrades SHA-1 to SHA-256', () => {
    assert.equal(hex(tlsServerEndPointHash(certs.ec1)), digests.ec1Sha256);
    assert.equal(hex(tlsServerEndPointHash(certs.ec1, 'ecdsa-with-SHA1')), digests.ec1Sha256);
    assert.equal(tlsServerEndPointHash(certs.ec1, 'md5WithRSAEncryption').length, 32);
  });

  test('takes the hash of RSASSA-PSS from its parameters', () => {
    assert.equal(hex(tlsServerEndPointHash(certs.pss512)), digests.pss512Sha512);
    assert.equal(hex(tlsServerEndPointHash(certs.pss512, 'RSASSA-PSS')), digests.pss512Sha512);
  });

  test('RSASSA-PSS without a hash parameter means SHA-1, so SHA-256', () => {
    const skeleton = pssSkeleton(der(0x30));
    assert.equal(hex(tlsServerEndPointHash(skeleton)), hex(tlsServerEndPointHash(skeleton, 'sha256')));
    assert.equal(tlsServerEndPointHash(pssSkeleton()).length, 32);
  });

  test('accepts the algorithm as an OID or an OpenSSL-style name', () => {
    for (const name of ['1.2.840.10045.4.3.3', 'ecdsa-with-SHA384', 'sha384WithRSAEncryption', 'RSA-SHA384', 'SHA384']) {
      assert.equal(hex(tlsServerEndPointHash(certs.ec384, name)), digests.ec384Sha384, name);
    }
    assert.equal(tlsServerEndPointHash(certs.ec384, 'sha512WithRSAEncryption').length, 64);
    assert.equal(tlsServerEndPointHash(certs.ec384, 'sha224WithRSAEncryption').length, 28);
    assert.equal(tlsServerEndPointHash(certs.ec384, '2.16.840.1.101.3.4.3.10').length, 32);
  });

  test('refuses EdDSA, which uses no single hash', () => {
    assert.throws(() => tlsServerEndPointHash(certs.ed), /no single hash function/);
    assert.throws(() => tlsServerEndPointHash(certs.ed, 'ED25519'), /no single hash function/);
  });

  test('refuses an algorithm it does not know', () => {
    assert.throws(() => tlsServerEndPointHash(certs.rsa256, '1.2.3.4'), /unknown certificate signature algorithm "1\.2\.3\.4"/);
    assert.throws(() => tlsServerEndPointHash(certs.rsa256, 'gost'), InterfaceError);
  });

  test('refuses RSASSA-PSS named for a certificate signed otherwise', () => {
    assert.throws(() => tlsServerEndPointHash(certs.rsa256, 'rsassaPss'), /signed with 1\.2\.840\.113549\.1\.1\.11/);
  });
});
