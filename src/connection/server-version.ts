/** The server's version, parsed from the `server_version` ParameterStatus. */
export interface ServerVersion {
  major: number;
  minor: number;
  micro: number;
  /** 'final' for a release, or 'devel' / 'alpha' / 'beta' / 'rc'. */
  releaseLevel: 'final' | 'devel' | 'alpha' | 'beta' | 'rc';
  /** The number after a pre-release level (beta 2 -> 2), else 0. */
  serial: number;
  /** The string the server reported, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
  raw: string;
}

/**
 * Parse PostgreSQL's version string. Since 10 the scheme is MAJOR.MINOR;
 * before it was MAJOR.MINOR.MICRO with a two-part major (9.6.24 -> 9, 6, 24).
 */
export function parseServerVersion(raw: string): ServerVersion {
  const m = /^\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*(devel|alpha|beta|rc)?(\d+)?/.exec(raw);
  if (!m) return { major: 0, minor: 0, micro: 0, releaseLevel: 'final', serial: 0, raw };
  const major = Number(m[1]);
  const minor = m[2] !== undefined ? Number(m[2]) : 0;
  const micro = m[3] !== undefined ? Number(m[3]) : 0;
  const level = (m[4] ?? 'final') as ServerVersion['releaseLevel'];
  return { major, minor, micro, releaseLevel: level, serial: m[5] !== undefined ? Number(m[5]) : 0, raw };
}
