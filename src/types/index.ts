/** The type layer: codecs, the OID tables, registries and parameter encoding. */
export type { Codec } from './codec.js';
export { describeValue, encodeError, sizeError } from './codec.js';
export { Oid, TYPE_NAME, ARRAY_OID, ELEMENT_OID, TYPE_CATEGORY } from './oids.js';
export type { BuiltinTypeName } from './oids.js';
export { TypeRegistry, createBuiltinRegistry } from './registry.js';
export { encodeParameter } from './params.js';
export { toText } from './text.js';
export * from './builtins/index.js';
