/**
 * Renders a server message the way psql does: the headline, a caret under the
 * spot in the query the server pointed at, then DETAIL, HINT and CONTEXT.
 */

/** The parts of a server message that the rendering uses. */
export interface RenderableMessage {
  readonly detail?: string | undefined;
  readonly hint?: string | undefined;
  readonly position?: number | undefined;
  readonly internalPosition?: number | undefined;
  readonly internalQuery?: string | undefined;
  readonly where?: string | undefined;
  readonly query?: string | undefined;
}

/** Longest stretch of a query line shown around the caret before it is cut with `...`. */
const MAX_LINE = 76;

/**
 * The lines that follow the headline: the query line with a caret, DETAIL,
 * HINT, the internal query (with its own caret) and CONTEXT, each when present.
 */
export function detailLines(m: RenderableMessage): string[] {
  const lines: string[] = [];
  if (m.position !== undefined) {
    const cursor = m.query === undefined ? undefined : cursorLines(m.query, m.position, (n) => `LINE ${n}: `);
    lines.push(...(cursor ?? [`POSITION:  character ${m.position} of the query`]));
  }
  if (m.detail !== undefined) lines.push(...labelled('DETAIL', m.detail));
  if (m.hint !== undefined) lines.push(...labelled('HINT', m.hint));
  if (m.internalQuery !== undefined) {
    const cursor =
      m.internalPosition === undefined
        ? undefined
        : cursorLines(m.internalQuery, m.internalPosition, (n) => (m.internalQuery?.includes('\n') ? `QUERY LINE ${n}: ` : 'QUERY:  '));
    lines.push(...(cursor ?? labelled('QUERY', m.internalQuery)));
  }
  if (m.where !== undefined) lines.push(...labelled('CONTEXT', m.where));
  return lines;
}

/** `LABEL:  text`, with continuation lines indented under the text. */
function labelled(label: string, text: string): string[] {
  const prefix = `${label}:  `;
  const indent = ' '.repeat(prefix.length);
  return text.split('\n').map((line, i) => (i === 0 ? prefix : indent) + line);
}

/**
 * The line of `query` that holds the 1-based character `position`, and a caret
 * line under that character. PostgreSQL counts positions in characters (code
 * points), not UTF-16 units or bytes. Returns undefined when the position does
 * not fall inside the text, which happens when the text is not the one the
 * server parsed; a caret in the wrong place would mislead.
 */
export function cursorLines(query: string, position: number, prefix: (lineNumber: number) => string): string[] | undefined {
  const chars = Array.from(query);
  // Position length + 1 is legal: the server points just past the end for
  // "syntax error at end of input".
  const index = position - 1;
  if (!Number.isInteger(position) || index < 0 || index > chars.length) return undefined;

  let lineNumber = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    if (chars[i] === '\n') {
      lineNumber++;
      lineStart = i + 1;
    }
  }
  let lineEnd = index;
  while (lineEnd < chars.length && chars[lineEnd] !== '\n') lineEnd++;
  if (lineEnd > lineStart && chars[lineEnd - 1] === '\r') lineEnd--;

  let line = chars.slice(lineStart, lineEnd);
  let column = index - lineStart;
  if (line.length > MAX_LINE) {
    // Keep the caret in view: show a window around it and mark the cuts.
    const start = Math.max(0, Math.min(column - MAX_LINE / 2, line.length - MAX_LINE));
    const end = start + MAX_LINE;
    const head = start > 0 ? ['.', '.', '.'] : [];
    const tail = end < line.length ? ['.', '.', '.'] : [];
    line = [...head, ...line.slice(start, end), ...tail];
    column = column - start + head.length;
  }

  const lead = prefix(lineNumber);
  // Tabs stay tabs in the padding so the caret lines up however wide a tab
  // is; wide and zero-width characters take as many columns as a terminal
  // gives them.
  const pad = line
    .slice(0, column)
    .map((c) => (c === '\t' ? '\t' : ' '.repeat(columnWidth(c))))
    .join('');
  return [lead + line.join(''), ' '.repeat(lead.length) + pad + '^'];
}

/**
 * Terminal columns one character takes: 0 for combining marks and zero-width
 * characters, 2 for East Asian wide characters and emoji, else 1. A coarse
 * table, enough to keep the caret under the right character in common text.
 */
export function columnWidth(char: string): number {
  const cp = char.codePointAt(0) ?? 0;
  if (
    (cp >= 0x0300 && cp <= 0x036f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff
  ) {
    return 0;
  }
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}
