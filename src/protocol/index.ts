/**
 * The pure protocol layer: bytes in, messages out; messages in, bytes out.
 * No sockets, no timers.
 */
export { Reader } from './reader.js';
export { Writer } from './writer.js';
export { Framer, DEFAULT_MAX_MESSAGE_SIZE } from './framer.js';
export type { Frame, FramerOptions } from './framer.js';
export * from './messages.js';
export { AuthCode, MAX_SECRET_KEY_LENGTH, MIN_SECRET_KEY_LENGTH, decodeBackend, encodeBackend } from './backend.js';
export {
  MAX_COUNT,
  decodeFrontend,
  decodeUntypedFrontend,
  encodeFrontend,
  writeClose,
  writeDescribe,
  writeExecute,
  writeFlush,
  writeParse,
  writeQuery,
  writeSync,
  writeTerminate,
} from './frontend.js';
export type { PasswordContext } from './frontend.js';
