/**
 * The local search table: the terms of a row are the server's (`tests/search/offline_fixtures.json`,
 * written by `tests/search/test_offline_search.py`), and the client's query tokens find the shared
 * fixtures' texts through a real FTS5 index in sqlite-wasm (the snapshot's own schema).
 */
import sqlite3InitModule from '@sqlite.org/sqlite-wasm';
import { describe, expect, it } from 'vitest';
import type { SqlExec, SqlValue } from '../../src/data/localdb/apply';
import { rowTerms, writeSearchEntry, type SearchEntity } from '../../src/data/search-rows';
import { fts5Match, matchedRanges, queryPieces, queryTerms } from '../../src/data/search-tokens';
import rows from '../../../tests/search/offline_fixtures.json';
import tokenFixtures from '../../../tests/search/tokens_fixtures.json';

interface RowCase {
  entity: SearchEntity;
  data: Record<string, unknown>;
  terms: string | null;
}

const sqlite3 = await sqlite3InitModule();

/** The snapshot file's search table, as `bca.sync.snapshot_search` creates it. */
const SCHEMA = `
CREATE TABLE search_entries (entry INTEGER PRIMARY KEY, entity TEXT NOT NULL, id TEXT NOT NULL, terms TEXT NOT NULL, UNIQUE (entity, id));
CREATE VIRTUAL TABLE search_entries_fts USING fts5(terms, content='search_entries', content_rowid='entry', tokenize='unicode61 remove_diacritics 0', prefix='1 2');
CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN INSERT INTO search_entries_fts(rowid, terms) VALUES (new.entry, new.terms); END;
CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN INSERT INTO search_entries_fts(search_entries_fts, rowid, terms) VALUES ('delete', old.entry, old.terms); END;`;

function database(): SqlExec {
  const db = new sqlite3.oo1.DB(':memory:');
  db.exec(SCHEMA);
  return {
    run: (sql, bind) => void db.exec({ sql, bind: bind ?? [] }),
    rows: (sql, bind) => db.exec({ sql, bind: bind ?? [], rowMode: 'array', returnValue: 'resultRows' }) as SqlValue[][],
  };
}

function find(db: SqlExec, query: string): string[] {
  for (const stripParticle of [false, true]) {
    const match = fts5Match(queryTerms(query, { stripParticle }));
    if (match === null) return [];
    const found = db.rows('SELECT e.id FROM search_entries_fts JOIN search_entries e ON e.entry = search_entries_fts.rowid WHERE search_entries_fts MATCH ?', [match]).map((row) => String(row[0]));
    if (found.length) return found.sort();
  }
  return [];
}

describe('the local search table', () => {
  it('holds the terms the server writes for each fixture row', () => {
    const cases = rows as RowCase[];
    expect(cases.length).toBeGreaterThanOrEqual(5);
    for (const { entity, data, terms } of cases) expect([entity, rowTerms(entity, data) || null]).toEqual([entity, terms]);
  });

  it('finds every shared fixture text by its own query tokens, through FTS5', () => {
    const db = database();
    const texts = (tokenFixtures as { text?: string }[]).flatMap((item) => (item.text ? [item.text] : []));
    texts.forEach((text, i) => writeSearchEntry(db, 'contact', String(i), { name: text }));
    let asked = 0;
    texts.forEach((text, i) => {
      if (fts5Match(queryTerms(text)) === null) return;
      asked++;
      expect(find(db, text), text).toContain(String(i));
    });
    expect(asked).toBeGreaterThan(50);
  }, 30_000);

  it('finds a card by a part of a compound, its initial consonants, digits and a particle', () => {
    const db = database();
    writeSearchEntry(db, 'card', 'c1', { name: '홍길동', data: { company: '삼성전자 영업팀', phones: [{ value: '010-1234-5678', type: 'work' }] } });
    writeSearchEntry(db, 'contact', 'k1', { name: 'Zoë Müller', organization: '카카오뱅크' });
    expect(find(db, '전자')).toEqual(['c1']);
    expect(find(db, 'ㅎㄱㄷ')).toEqual(['c1']);
    expect(find(db, 'ㅎㄱ')).toEqual(['c1']);
    expect(find(db, '5678')).toEqual(['c1']);
    expect(find(db, '영업팀장님께')).toEqual([]);
    expect(find(db, '카카오뱅크에서')).toEqual(['k1']);
    expect(find(db, 'zoe MULLER')).toEqual(['k1']);
    expect(find(db, 'work')).toEqual([]);
    writeSearchEntry(db, 'card', 'c1', null);
    expect(find(db, '전자')).toEqual([]);
  });
});

describe('matched ranges', () => {
  it('are code point offsets of what the query asked, merged', () => {
    expect(matchedRanges('😀 삼성전자 영업팀', queryPieces('전자'))).toEqual([[4, 6]]);
    expect(matchedRanges('홍길동 과장', queryPieces('ㅎㄱ'))).toEqual([[0, 2]]);
    expect(matchedRanges('010-1234-5678', queryPieces('12345'))).toEqual([[4, 10]]);
    expect(matchedRanges('Zoë Müller', queryPieces('zoe muller'))).toEqual([[0, 3], [4, 10]]);
    expect(matchedRanges('카카오뱅크', queryPieces('카카오뱅크에서', { stripParticle: true }))).toEqual([[0, 5]]);
    expect(matchedRanges('nothing', queryPieces('전자'))).toEqual([]);
  });
});
