/**
 * Everything pgjet throws or reports: its own client-side errors, the server's
 * errors and notices, and one class per SQLSTATE.
 */

export * from './client.js';
export * from './postgres-error.js';
export * from './sqlstate.generated.js';
