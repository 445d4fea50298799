/**
 * The reply to AuthenticationMD5Password. MD5 authentication is kept for old
 * servers only: the hash it sends is password-equivalent, so callers should
 * offer it only where the connection is protected or the user opted in.
 */

import { createHash } from 'node:crypto';
import { ProtocolError } from '../errors/client.js';

/**
 * The password string for a PasswordMessage answering AuthenticationMD5Password:
 * `"md5" + md5hex(md5hex(password + user) + salt)`, where the inner hex digest is
 * hashed as ASCII text followed by the 4 raw salt bytes. Password and user name
 * are hashed as UTF-8, the encoding PostgreSQL stores them in when the server
 * and client encodings are UTF-8.
 *
 * @throws ProtocolError when the salt is not the 4 bytes the message carries.
 */
export function md5PasswordMessage(user: string, password: string, salt: Uint8Array): string {
  if (salt.length !== 4) {
    throw new ProtocolError(
      `AuthenticationMD5Password must carry a 4-byte salt, got ${salt.length} bytes; ` +
        'the server or something between it and the client is not speaking the PostgreSQL protocol',
    );
  }
  const inner = createHash('md5').update(password, 'utf8').update(user, 'utf8').digest('hex');
  const outer = createHash('md5').update(inner, 'latin1').update(salt).digest('hex');
  return `md5${outer}`;
}
