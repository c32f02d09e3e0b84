/**
 * The app's change applier against the real server: each case of fixtures/sync-histories.json
 * (written by tests/sync/test_app_sync_fixture.py from random histories run through the API)
 * holds a snapshot file, the pages of /v1/sync/changes after its cursor, and the rows of a
 * fresh snapshot built at the end. The snapshot opened in sqlite-wasm, with every page applied
 * by `applyPage`, must hold exactly the fresh snapshot's rows.
 */
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import { describe, expect, it } from 'vitest';
import { applyChanges, applyPage, pythonJson, readMeta, SCHEMA_VERSION, TABLE_OF, type ChangesPage, type SqlExec, type SqlValue } from '../../src/data/localdb/apply';

interface Case {
  user_id: string;
  snapshot: string;
  pages: ChangesPage[];
  expected: Record<string, SqlValue[][]>;
}

import raw from '../fixtures/sync-histories.json?raw';

const fixture = JSON.parse(raw) as { cases: Case[] };
const sqlite3 = await sqlite3InitModule();

type Db = InstanceType<typeof sqlite3.oo1.DB>;

async function gunzip(base64: string): Promise<Uint8Array> {
  const packed = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
  const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function open(sample: Case): Promise<Db> {
  const bytes = await gunzip(sample.snapshot);
  const db = new sqlite3.oo1.DB(':memory:');
  const pointer = sqlite3.wasm.allocFromTypedArray(bytes);
  const flags = sqlite3.capi.SQLITE_DESERIALIZE_FREEONCLOSE | sqlite3.capi.SQLITE_DESERIALIZE_RESIZEABLE;
  const handle = db.pointer;
  if (handle === undefined) throw new Error('no database');
  expect(sqlite3.capi.sqlite3_deserialize(handle, 'main', pointer, bytes.byteLength, bytes.byteLength, flags)).toBe(0);
  return db;
}

function exec(db: Db): SqlExec {
  return {
    run: (sql, bind) => void db.exec({ sql, bind: bind ?? [] }),
    rows: (sql, bind) => db.exec({ sql, bind: bind ?? [], rowMode: 'array', returnValue: 'resultRows' }) as SqlValue[][],
  };
}

function rows(sql: SqlExec, table: string): SqlValue[][] {
  return sql.rows(`SELECT * FROM ${table}`).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
}

function first(): Case {
  const sample = fixture.cases[0];
  if (!sample) throw new Error('no cases');
  return sample;
}

describe('the change applier', () => {
  it('has histories to check', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(3);
    expect(fixture.cases.some((c) => c.pages.some((p) => p.changes.some((ch) => ch.op === 'delete')))).toBe(true);
  });

  for (const [n, sample] of fixture.cases.entries()) {
    it(`brings history ${String(n)}'s snapshot to what a fresh snapshot holds`, async () => {
      const db = exec(await open(sample));
      const before = readMeta(db);
      expect(before?.userId).toBe(sample.user_id);
      expect(before?.schemaVersion).toBe(SCHEMA_VERSION);
      for (const page of sample.pages) applyPage(db, page);
      for (const table of Object.values(TABLE_OF)) expect(rows(db, table), table).toEqual(sample.expected[table]);
      expect(readMeta(db)?.cursor).toBe(Number(sample.pages.at(-1)?.cursor));
    });
  }

  it('rolls a failing page back whole, cursor included', async () => {
    const sample = first();
    const db = exec(await open(sample));
    const cursor = readMeta(db)?.cursor;
    const cards = rows(db, 'cards');
    const broken: ChangesPage = { cursor: '999999', has_more: false, changes: [{ entity: 'card', op: 'delete', id: String(cards[0]?.[0]) }, { entity: 'card', op: 'upsert', id: 'x', data: { nope: 1 } }] };
    const failing: SqlExec = { ...db, run: (sql, bind) => { if (sql.startsWith('INSERT')) throw new Error('disk full'); db.run(sql, bind); } };
    expect(() => applyPage(failing, broken)).toThrow('disk full');
    expect(rows(db, 'cards')).toEqual(cards);
    expect(readMeta(db)?.cursor).toBe(cursor);
  });

  it('skips entities it does not know and nulls absent columns', async () => {
    const sample = first();
    const db = exec(await open(sample));
    applyChanges(db, [{ entity: 'future', op: 'upsert', id: 'f', data: {} }, { entity: 'profile', op: 'upsert', id: 'p1', data: { name: 'A', data: { b: 1, a: '한' }, private: true } }]);
    expect(db.rows("SELECT name, data, private, version, mine FROM profiles WHERE id = 'p1'")).toEqual([['A', '{"a":"\\ud55c","b":1}', 1, null, null]]);
  });
});

describe('pythonJson', () => {
  it('writes what json.dumps(sort_keys=True, separators=(",", ":")) writes', () => {
    expect(pythonJson({ z: [1, { y: null, x: 'é\u007f😀' }], a: true })).toBe('{"a":true,"z":[1,{"x":"\\u00e9\\u007f\\ud83d\\ude00","y":null}]}');
  });
});
