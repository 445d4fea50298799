import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { md5PasswordMessage } from '../../../src/auth/md5.js';
import { ProtocolError } from '../../../src/errors/client.js';

// The inner hashes ("md5" + md5(password + user)) are what PostgreSQL 18 stored in
// pg_authid for these roles with password_encryption = md5; the outer step was
// computed with coreutils' md5sum over the hex digest followed by the salt bytes.
describe('md5PasswordMessage', () => {
  test('matches the digest PostgreSQL stores, salted as the protocol specifies', () => {
    assert.equal(
      md5PasswordMessage('alice', 'wonderland', Uint8Array.of(1, 2, 3, 4)),
      'md5370dfac54ebb2bdeedf68eab452ffd72',
    );
  });

  test('hashes non-ASCII user names and passwords as UTF-8', () => {
    assert.equal(
      md5PasswordMessage('j\u00f6rg', 'p\u00e4ssword', Uint8Array.of(0xde, 0xad, 0xbe, 0xef)),
      'md51a82d992edfd5b1dbca576e85c1ba64a',
    );
  });

  test('the salt changes the answer', () => {
    const a = md5PasswordMessage('alice', 'wonderland', Uint8Array.of(1, 2, 3, 4));
    const b = md5PasswordMessage('alice', 'wonderland', Uint8Array.of(1, 2, 3, 5));
    assert.notEqual(a, b);
    assert.match(b, /^md5[0-9a-f]{32}$/);
  });

  test('rejects a salt that is not 4 bytes', () => {
    assert.throws(() => md5PasswordMessage('alice', 'wonderland', Uint8Array.of(1, 2, 3)), ProtocolError);
    assert.throws(() => md5PasswordMessage('alice', 'wonderland', new Uint8Array(5)), /4-byte salt, got 5 bytes/);
  });
});
