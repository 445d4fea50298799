/**
 * The errors of the type layer that users catch by class: a parameter that
 * cannot be encoded, and a type whose definition changed under a cached codec.
 */
import { InterfaceError } from '../errors/client.js';
import { DataError } from '../errors/sqlstate.generated.js';

/** What a ParameterError is about. */
export interface ParameterErrorDetails {
  /** The parameter's position, 1-based as in $1. */
  readonly parameterNumber: number;
  /** The parameter's type name ('int4', 'public.mood', 'int4[]'). */
  readonly typeName: string;
  /** The parameter's type OID. */
  readonly typeOid: number;
}

/**
 * A query parameter that cannot be sent as its type: 1.5 or 2^40 for int4,
 * a NUL character in text, an invalid Date, an object for a number.
 * Thrown before anything is sent, so the connection stays usable.
 *
 * It is a DataError (SQLSTATE class 22, data exception), the class the server
 * uses for a value it cannot accept, so one `catch (e) { if (e instanceof
 * DataError) ... }` handles both a value pgjet refuses and one the server
 * refuses. `sqlstate` is '22000'; `dataTypeName` is the type's name.
 */
export class ParameterError extends DataError {
  override name = 'ParameterError';
  /** The parameter's position, 1-based as in $1. */
  readonly parameterNumber: number;
  /** The parameter's type name. */
  readonly typeName: string;
  /** The parameter's type OID. */
  readonly typeOid: number;

  /**
   * @param message what is wrong, starting with the parameter ('parameter $2 (int4): ...')
   * @param details the parameter's position and type
   * @param options the underlying error
   */
  constructor(message: string, details: ParameterErrorDetails, options?: { cause?: unknown }) {
    super({ S: 'ERROR', V: 'ERROR', C: '22000', M: message, d: details.typeName });
    this.parameterNumber = details.parameterNumber;
    this.typeName = details.typeName;
    this.typeOid = details.typeOid;
    if (options?.cause !== undefined) Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false, writable: true, configurable: true });
  }
}

/**
 * A value of a composite type arrived with a shape (attribute count or types)
 * other than the one looked up when its codec was made: the type was changed
 * with ALTER TYPE or ALTER TABLE since. The connection has already started to
 * reload the type's definition; running the query again reads the new shape.
 * `reloadSchemaState()` forces a reload of every type.
 */
export class OutdatedSchemaCacheError extends InterfaceError {
  override name = 'OutdatedSchemaCacheError';
  /** The OID of the type whose definition changed. */
  readonly typeOid: number;

  /** @param typeOid the composite type's OID */
  constructor(message: string, typeOid: number) {
    super(message);
    this.typeOid = typeOid;
  }
}
