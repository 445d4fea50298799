/** The type layer: codecs, the OID tables, registries, parameter encoding and introspection. */
export type { Codec } from './codec.js';
export { describeValue, encodeError, sizeError } from './codec.js';
export { OutdatedSchemaCacheError, ParameterError } from './errors.js';
export type { ParameterErrorDetails } from './errors.js';
export { Oid, TYPE_NAME, ARRAY_OID, ELEMENT_OID, TYPE_CATEGORY } from './oids.js';
export type { BuiltinTypeName } from './oids.js';
export { validateTypeOptions } from './options.js';
export type { Int8Mode, TimestampMode, TypeOptions } from './options.js';
export { TypeRegistry, createBuiltinRegistry } from './registry.js';
export { encodeParameter } from './params.js';
export { aliasCodec, buildCodecs, dependencies, displayName, introspectionQuery, parseTypeInfos } from './introspect.js';
export type { CodecSource, IntrospectionQueryOptions, TypeInfo } from './introspect.js';
export { builtinCodecNames, checkTypeCodecOptions, namedCodec, userCodec } from './custom.js';
export type { BinaryTypeCodec, BuiltinTypeCodecOptions, TextTypeCodec, TypeCodecOptions } from './custom.js';
export { toText } from './text.js';
export * from './builtins/index.js';
