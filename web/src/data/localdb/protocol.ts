/** Messages between the page and the local database's worker. */
import type { SqlValue } from './apply';

export type LocalRequest =
  | { op: 'open'; user: string }
  | { op: 'import'; user: string; bytes: Uint8Array }
  | { op: 'apply'; page: unknown }
  | { op: 'select'; db: 'sync' | 'local'; sql: string; bind: SqlValue[] }
  | { op: 'run'; sql: string; bind: SqlValue[] }
  | { op: 'drop'; user: string };
