import { describe, expect, it, vi } from 'vitest';

// The data modules import the app's API client, which watches the browser's storage: give the
// Node environment the little of a browser it touches (these tests use no network).
vi.hoisted(() => {
  const values = new Map<string, string>();
  const g = globalThis as Record<string, unknown>;
  g.window ??= { addEventListener: () => undefined, removeEventListener: () => undefined };
  g.localStorage ??= {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => values.set(key, value),
    removeItem: (key: string) => values.delete(key),
  };
});
import { ApiError } from '../../src/api/errors';
import type { Relation, Scan, ScanFields } from '../../src/api/types';
import { draftFromScan, draftToInput, emptyDraft, mapLimited } from '../../src/data/contacts';
import { followerStatus, idsOf, isSummary, relationTo } from '../../src/data/people';
import { pollDelay, pollScan } from '../../src/data/scans';

const fields: ScanFields = {
  name: { value: '김민서', confidence: 0.92 },
  organization: { value: '한빛소프트 주식회사', confidence: 0.8 },
  title: null,
  address: null,
  phones: [{ value: { value: '+821012345678', type: 'cell' }, confidence: 0.9 }],
  emails: [{ value: { value: 'minseo@hanbit.example' }, confidence: 0.7 }],
  urls: [],
};

describe('contact drafts', () => {
  it('start from what a scan read and leave empty what it did not', () => {
    const draft = draftFromScan(fields);
    expect(draft.name).toBe('김민서');
    expect(draft.title).toBe('');
    expect(draft.phones).toEqual([{ value: '+821012345678', type: 'cell' }]);
    expect(draftFromScan(null)).toEqual(emptyDraft());
  });

  it('send every field trimmed, clearing emptied texts and dropping empty entries', () => {
    const draft = { ...draftFromScan(fields), title: '  ', note: ' met at the fair ', urls: [' ', 'https://hanbit.example '] };
    draft.phones = [...draft.phones, { value: '   ' }];
    expect(draftToInput(draft)).toEqual({
      name: '김민서',
      organization: '한빛소프트 주식회사',
      title: null,
      phones: [{ value: '+821012345678', type: 'cell' }],
      emails: [{ value: 'minseo@hanbit.example' }],
      urls: ['https://hanbit.example'],
      address: null,
      note: 'met at the fair',
    });
  });
});

describe('mapLimited', () => {
  it('keeps the order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const result = await mapLimited([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    expect(result).toEqual([50, 10, 40, 20, 30, 0]);
    expect(most).toBe(2);
  });
});

function scan(status: Scan['status']): Scan {
  return { id: 's1', profile_id: 'p1', status, failure: status === 'failed' ? 'No text was found on the image.' : null, fields: null, raw_text: null, suggestions: [], image_url: null, contact_id: null, created_at: '2026-12-07T00:00:00Z', finished_at: null };
}

describe('watching a scan', () => {
  it('backs off from half a second to at most five', () => {
    expect([0, 1, 2, 3].map(pollDelay)).toEqual([500, 750, 1125, 1688]);
    expect(pollDelay(20)).toBe(5000);
  });

  it('asks until the scan is read, waiting longer each time, and survives a 503', async () => {
    const answers: (Scan | ApiError)[] = [scan('pending'), new ApiError({ status: 503, code: 'unavailable' }), scan('pending'), scan('done')];
    const slept: number[] = [];
    const seen: string[] = [];
    const result = await pollScan(
      () => {
        const next = answers.shift();
        return next instanceof ApiError ? Promise.reject(next) : Promise.resolve(next as Scan);
      },
      { sleep: (ms) => { slept.push(ms); return Promise.resolve(); }, onUpdate: (s) => seen.push(s.status) },
    );
    expect(result?.status).toBe('done');
    expect(seen).toEqual(['pending', 'pending', 'done']);
    expect(slept).toEqual([500, 750, 1125]);
  });

  it('ends on a failed scan, rejects on a 404 and stops when aborted', async () => {
    const noSleep = { sleep: () => Promise.resolve() };
    expect((await pollScan(() => Promise.resolve(scan('failed')), noSleep))?.failure).toMatch(/No text/);
    await expect(pollScan(() => Promise.reject(new ApiError({ status: 404, code: 'not_found' })), noSleep)).rejects.toThrow();
    const stop = new AbortController();
    let asks = 0;
    const result = await pollScan(() => {
      asks++;
      if (asks === 2) stop.abort();
      return Promise.resolve(scan('pending'));
    }, { ...noSleep, signal: stop.signal });
    expect(result).toBeNull();
    expect(asks).toBe(2);
  });
});

describe('relations', () => {
  const rel = (profile_id: string, target_id: string, status: Relation['status'], created_at: string): Relation => ({ profile_id, target_id, status, created_at });
  const mine = [rel('me', 'a', 'follow', '2026-12-01T00:00:00Z'), rel('me', 'b', 'follow', '2026-12-03T00:00:00Z'), rel('me', 'c', 'follow_requested', '2026-12-02T00:00:00Z'), rel('me', 'd', 'block', '2026-12-02T00:00:00Z'), rel('me', 'e', 'hide', '2026-12-02T00:00:00Z')];
  const towards = [rel('x', 'me', 'follow', '2026-12-01T00:00:00Z'), rel('y', 'me', 'follow_requested', '2026-12-02T00:00:00Z')];

  it('list each kind newest first', () => {
    expect(idsOf('following', mine, towards)).toEqual(['b', 'a']);
    expect(idsOf('requested', mine, towards)).toEqual(['c']);
    expect(idsOf('blocked', mine, towards)).toEqual(['d']);
    expect(idsOf('hidden', mine, towards)).toEqual(['e']);
    expect(idsOf('followers', mine, towards)).toEqual(['x']);
    expect(idsOf('requests', mine, towards)).toEqual(['y']);
  });

  it('tell my relation to someone and theirs to me', () => {
    expect(relationTo(mine, 'c')).toBe('follow_requested');
    expect(relationTo(mine, 'zz')).toBeNull();
    expect(relationTo(undefined, 'a')).toBeNull();
    expect(followerStatus(towards, 'y')).toBe('follow_requested');
    expect(followerStatus(towards, 'a')).toBeNull();
  });

  it('tell a private summary from a whole profile', () => {
    expect(isSummary({ id: 'p', name: 'n', image_url: null, private: true })).toBe(true);
  });
});
