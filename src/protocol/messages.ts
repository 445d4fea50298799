/**
 * Every message of the PostgreSQL frontend/backend protocol (3.0, plus what
 * 3.2 adds), as a discriminated union on `type`, named exactly as the
 * PostgreSQL documentation ("Message Formats") names them.
 */

/** Protocol 3.0 as the Int32 sent in StartupMessage. */
export const PROTOCOL_3_0 = 196608;
/** Protocol 3.2 (PostgreSQL 18): variable-length cancel keys. */
export const PROTOCOL_3_2 = 196610;
/** The magic codes that stand where a protocol version would in untyped requests. */
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

/** 0 = text, 1 = binary, as in Bind and RowDescription. */
export type FormatCode = 0 | 1;

/** One column of a RowDescription. */
export interface FieldDescription {
  name: string;
  /** OID of the table, or 0. */
  tableOid: number;
  /** Attribute number within the table, or 0. */
  columnAttributeNumber: number;
  dataTypeOid: number;
  dataTypeSize: number;
  typeModifier: number;
  format: FormatCode;
}

/** ErrorResponse/NoticeResponse fields keyed by their one-letter code ('S', 'V', 'C', 'M', ...). */
export type NoticeFields = Record<string, string>;

// ---------------------------------------------------------------- backend

export type AuthenticationMessage =
  | { type: 'AuthenticationOk' }
  | { type: 'AuthenticationKerberosV5' }
  | { type: 'AuthenticationCleartextPassword' }
  | { type: 'AuthenticationMD5Password'; salt: Uint8Array }
  | { type: 'AuthenticationGSS' }
  | { type: 'AuthenticationGSSContinue'; data: Uint8Array }
  | { type: 'AuthenticationSSPI' }
  | { type: 'AuthenticationSASL'; mechanisms: string[] }
  | { type: 'AuthenticationSASLContinue'; data: Uint8Array }
  | { type: 'AuthenticationSASLFinal'; data: Uint8Array };

/** Messages the server sends. */
export type BackendMessage =
  | AuthenticationMessage
  | { type: 'BackendKeyData'; processId: number; secretKey: Uint8Array }
  | { type: 'BindComplete' }
  | { type: 'CloseComplete' }
  | { type: 'CommandComplete'; tag: string }
  | { type: 'CopyData'; data: Uint8Array }
  | { type: 'CopyDone' }
  | { type: 'CopyInResponse'; format: FormatCode; columnFormats: FormatCode[] }
  | { type: 'CopyOutResponse'; format: FormatCode; columnFormats: FormatCode[] }
  | { type: 'CopyBothResponse'; format: FormatCode; columnFormats: FormatCode[] }
  | { type: 'DataRow'; values: (Uint8Array | null)[] }
  | { type: 'EmptyQueryResponse' }
  | { type: 'ErrorResponse'; fields: NoticeFields }
  | { type: 'FunctionCallResponse'; result: Uint8Array | null }
  | { type: 'NegotiateProtocolVersion'; newestMinorVersion: number; unrecognizedOptions: string[] }
  | { type: 'NoData' }
  | { type: 'NoticeResponse'; fields: NoticeFields }
  | { type: 'NotificationResponse'; processId: number; channel: string; payload: string }
  | { type: 'ParameterDescription'; parameterOids: number[] }
  | { type: 'ParameterStatus'; name: string; value: string }
  | { type: 'ParseComplete' }
  | { type: 'PortalSuspended' }
  /** status: 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block. */
  | { type: 'ReadyForQuery'; status: TransactionStatus }
  | { type: 'RowDescription'; fields: FieldDescription[] };

export type TransactionStatus = 'I' | 'T' | 'E';

/** Backend message type bytes. Authentication* all share 'R'. */
export const BackendCode = {
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  CopyBothResponse: 0x57, // W
  DataRow: 0x44, // D
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  FunctionCallResponse: 0x56, // V
  NegotiateProtocolVersion: 0x76, // v
  NoData: 0x6e, // n
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  ParameterDescription: 0x74, // t
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  PortalSuspended: 0x73, // s
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54, // T
} as const;

// --------------------------------------------------------------- frontend

/** Messages the client sends. The first four have no type byte. */
export type FrontendMessage =
  | { type: 'StartupMessage'; protocolVersion: number; parameters: Record<string, string> }
  | { type: 'SSLRequest' }
  | { type: 'GSSENCRequest' }
  /** secretKey is 4 bytes in protocol 3.0 and up to 256 bytes in 3.2. */
  | { type: 'CancelRequest'; processId: number; secretKey: Uint8Array }
  | {
      type: 'Bind';
      portal: string;
      statement: string;
      parameterFormats: FormatCode[];
      /** Each value already encoded; null is SQL NULL. */
      parameters: (Uint8Array | null)[];
      resultFormats: FormatCode[];
    }
  | { type: 'Close'; target: 'S' | 'P'; name: string }
  | { type: 'CopyData'; data: Uint8Array }
  | { type: 'CopyDone' }
  | { type: 'CopyFail'; message: string }
  | { type: 'Describe'; target: 'S' | 'P'; name: string }
  | { type: 'Execute'; portal: string; maxRows: number }
  | { type: 'Flush' }
  | { type: 'FunctionCall'; functionOid: number; argumentFormats: FormatCode[]; arguments: (Uint8Array | null)[]; resultFormat: FormatCode }
  | { type: 'GSSResponse'; data: Uint8Array }
  | { type: 'Parse'; name: string; query: string; parameterOids: number[] }
  | { type: 'PasswordMessage'; password: string }
  | { type: 'Query'; query: string }
  | { type: 'SASLInitialResponse'; mechanism: string; data: Uint8Array | null }
  | { type: 'SASLResponse'; data: Uint8Array }
  | { type: 'Sync' }
  | { type: 'Terminate' };

/** Frontend message type bytes. PasswordMessage, SASL*, GSSResponse share 'p'. */
export const FrontendCode = {
  Bind: 0x42, // B
  Close: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  Describe: 0x44, // D
  Execute: 0x45, // E
  Flush: 0x48, // H
  FunctionCall: 0x46, // F
  Password: 0x70, // p
  Parse: 0x50, // P
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58, // X
} as const;
