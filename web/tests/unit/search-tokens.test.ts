import { describe, expect, it } from 'vitest';
import { fts5Match, indexTerms, queryTerms } from '../../src/data/search-tokens';
import fixtures from '../../../tests/search/tokens_fixtures.json';

interface IndexCase {
  text: string;
  index: string[];
}
interface QueryCase {
  query: string;
  required: string[];
  prefixes: string[];
}

// The server's tokenizer's output (`bca.search.tokens` without Kiwi) for the same texts,
// written by `tests/search/test_tokens.py`.
const cases = fixtures as (IndexCase | QueryCase)[];

describe('search tokens, as the server makes them', () => {
  it('has the shared fixtures', () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  it('indexes every fixture text with the same tokens', () => {
    for (const item of cases) {
      if ('text' in item) expect([item.text, indexTerms(item.text)]).toEqual([item.text, item.index]);
    }
  });

  it('asks the same of every fixture query', () => {
    for (const item of cases) {
      if ('query' in item) {
        const terms = queryTerms(item.query);
        expect([item.query, terms.required, terms.prefixes]).toEqual([
          item.query,
          item.required,
          item.prefixes,
        ]);
      }
    }
  });

  it('strips a trailing particle on request, and writes an FTS5 match', () => {
    expect(queryTerms('김민수님께', { stripParticle: true }).required).toEqual(['김민', '민수']);
    expect(queryTerms('팀장님과', { stripParticle: true }).required).toEqual(['팀장']);
    expect(queryTerms('회의', { stripParticle: true }).required).toEqual(['회의']);
    expect(fts5Match(queryTerms('ㅎㄱ 결제'))).toBe('"결제" "ㅎㄱ"*');
    expect(fts5Match(queryTerms('!!!'))).toBeNull();
  });
});
