/**
 * Authentication: SCRAM-SHA-256(-PLUS) with SASLprep and channel binding, and
 * the legacy MD5 password reply. Pure functions over bytes and strings; the
 * connection layer drives them.
 */

export { md5PasswordMessage } from './md5.js';
export { prepareScramPassword, saslprep, SaslprepError } from './saslprep.js';
export type { SaslprepRule } from './saslprep.js';
export { ScramClient, selectScramMechanism } from './scram.js';
export type { ChannelBindingMode, ScramChannelBinding, ScramClientOptions, ScramMechanism } from './scram.js';
export { certificateSignatureAlgorithm, tlsServerEndPointHash } from './channel-binding.js';
export { AuthPolicy, allowed as requireAuthAllows } from './policy.js';
export type { AuthMethodName, AuthPolicyOptions, AuthRequest, RequireAuthRule } from './policy.js';
