import { describe, expect, it } from 'vitest';
import type { Subscription } from '../../src/api';
import { describeCard, joinName, mapHref, telHref, verifiedEntry, webHref } from '../../src/data/cards';
import { shareTokenFromLink } from '../../src/data/share';
import { markSeen, readSeen, walletEntries } from '../../src/data/wallet';

class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

function held(id: string, version: number, updated: string, subscribed = '2026-01-01T00:00:00Z'): Subscription {
  return {
    subscribed_at: subscribed,
    card: { id, profile_id: 'p', name: id, data: {}, preview_url: null, private: false, version, created_at: subscribed, updated_at: updated, verified: [] },
  };
}

describe('describeCard', () => {
  it('reads the well-known keys defensively and ignores the rest', () => {
    const view = describeCard('Work', {
      given_name: 'Ada',
      family_name: 'Lovelace',
      title: 'Engineer',
      phones: [{ value: ' +44 20 ', type: 'work' }, { value: '' }, 'bad', 7],
      emails: [{ value: 'ada@example.com' }],
      urls: ['https://ada.example', { value: 'ada.example/blog', type: 'blog' }],
      address: { street: '1 Lane', locality: 'London', country: 'UK', bogus: 1 },
      mine: { any: 'thing' },
    });
    expect(view.displayName).toBe('Ada Lovelace');
    expect(view.phones).toEqual([{ value: '+44 20', type: 'work' }, { value: 'bad', type: null }]);
    expect(view.emails).toEqual([{ value: 'ada@example.com', type: null }]);
    expect(view.urls).toEqual(['https://ada.example', 'ada.example/blog']);
    expect(view.addressLine).toBe('1 Lane, London, UK');
  });

  it('falls back to the card name and orders Korean names family first', () => {
    expect(describeCard('Work', { title: 3 }).displayName).toBe('Work');
    expect(joinName('민준', '김')).toBe('김민준');
    expect(joinName('Minjun', 'Kim')).toBe('Minjun Kim');
  });

  it('makes only safe links', () => {
    expect(telHref('+82 (10) 1234-5678')).toBe('tel:+821012345678');
    expect(telHref('call me')).toBeNull();
    expect(webHref('javascript:alert(1)')).toBeNull();
    expect(webHref('example.com/x')).toBe('https://example.com/x');
    expect(webHref('http://example.com')).toBe('http://example.com');
    expect(mapHref('서울 중구')).toContain(encodeURIComponent('서울 중구'));
  });
});

describe('verifiedEntry', () => {
  const entry = { email: 'ada@engines.example', domain: 'engines.example', verified_at: '2026-01-01T00:00:00Z', expires_at: '2027-01-01T00:00:00Z', work: true };
  it('finds an address whatever its case and only while it holds', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    expect(verifiedEntry([entry], ' Ada@Engines.example ', now)).toEqual(entry);
    expect(verifiedEntry([entry], 'someone@engines.example', now)).toBeNull();
    expect(verifiedEntry([entry], 'ada@engines.example', Date.parse('2027-01-01T00:00:01Z'))).toBeNull();
    expect(verifiedEntry(undefined, 'ada@engines.example', now)).toBeNull();
  });
});

describe('shareTokenFromLink', () => {
  it('takes the token of a card link, full or as a path', () => {
    expect(shareTokenFromLink('https://bca.example/c/AbC_-123')).toBe('AbC_-123');
    expect(shareTokenFromLink(' http://127.0.0.1:8000/c/tok.vcf ')).toBe('tok');
    expect(shareTokenFromLink('/c/tok?x=1')).toBe('tok');
    expect(shareTokenFromLink('https://example.com/other')).toBeNull();
  });
});

describe('walletEntries', () => {
  it('sorts newest updates first and marks cards changed since seen', () => {
    const store = new MemoryStorage();
    const first = walletEntries('me', [held('a', 1, '2026-01-02T00:00:00Z'), held('b', 3, '2026-01-05T00:00:00Z')], store);
    expect(first.map((entry) => [entry.card.id, entry.updated])).toEqual([['b', false], ['a', false]]);
    expect(readSeen('me', store)).toEqual({ a: 1, b: 3 });

    const later = walletEntries('me', [held('a', 2, '2026-01-09T00:00:00Z'), held('b', 3, '2026-01-05T00:00:00Z')], store);
    expect(later.map((entry) => [entry.card.id, entry.updated])).toEqual([['a', true], ['b', false]]);
    expect(readSeen('other', store)).toEqual({});
  });

  it('forgets nothing when storage is missing or broken', () => {
    const store = new MemoryStorage();
    store.setItem('bca.seen.me', '{not json');
    expect(readSeen('me', store)).toEqual({});
    expect(walletEntries('me', [held('a', 1, '2026-01-02T00:00:00Z')], null)[0]?.updated).toBe(false);
    expect(() => markSeen('me', { id: 'a', version: 1 })).not.toThrow();
  });
});
