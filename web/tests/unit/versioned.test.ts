import { describe, expect, it } from 'vitest';
import { holds } from '../../src/data/versioned';

describe('an edit the server may already hold', () => {
  it('is held when every changed field reads the same, whatever the order of keys', () => {
    const card = { id: 'c', version: 3, name: 'Ada', data: { title: 'CTO', address: { locality: 'Seoul', street: '1 Main' } }, private: false };
    expect(holds(card, { name: 'Ada', data: { address: { street: '1 Main', locality: 'Seoul' }, title: 'CTO' } })).toBe(true);
    expect(holds(card, { private: false })).toBe(true);
  });

  it('is not held when a field differs, is missing, or a list is in another order', () => {
    const contact = { id: 'k', version: 1, name: 'Bo', note: null, phones: [{ value: '1', type: null }, { value: '2', type: null }] };
    expect(holds(contact, { name: 'Bob' })).toBe(false);
    expect(holds(contact, { note: 'met in Busan' })).toBe(false);
    expect(holds(contact, { title: 'CEO' })).toBe(false);
    expect(holds(contact, { phones: [{ value: '2', type: null }, { value: '1', type: null }] })).toBe(false);
  });

  it('takes a missing field and null as the same (the API leaves out what is empty)', () => {
    expect(holds({ id: 'k', version: 1, note: null }, { note: undefined })).toBe(true);
    expect(holds({ id: 'k', version: 1 }, { organization: null })).toBe(true);
  });
});
