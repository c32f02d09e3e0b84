import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/api/errors';
import { clearQueries, invalidate, query } from '../../src/data/query';

afterEach(() => clearQueries());

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

describe('query cache', () => {
  it('loads once for concurrent readers and shares the entry by key', async () => {
    let calls = 0;
    const fetcher = () => Promise.resolve(++calls);
    const a = query('t:one', fetcher);
    const b = query('t:one', fetcher);
    expect(a).toBe(b);
    await Promise.all([a.load(), b.load(), a.load()]);
    expect(calls).toBe(1);
    expect(a.data.value).toBe(1);
    await a.load();
    expect(calls).toBe(1);
  });

  it('keeps failures in `error` (as ApiError) and loads again on the next ask', async () => {
    let fail = true;
    const q = query('t:fail', () => (fail ? Promise.reject(new ApiError({ status: 503, code: 'unavailable' })) : Promise.resolve('ok')));
    await q.load();
    expect(q.error.value?.code).toBe('unavailable');
    expect(q.data.value).toBeUndefined();
    fail = false;
    await q.load();
    expect(q.error.value).toBeNull();
    expect(q.data.value).toBe('ok');
  });

  it('reloads loaded queries under an invalidated prefix, not others', async () => {
    const counts = { a: 0, b: 0 };
    const a = query('cards:a', () => Promise.resolve(++counts.a));
    const b = query('wallet:b', () => Promise.resolve(++counts.b));
    await Promise.all([a.load(), b.load()]);
    invalidate('cards:');
    await Promise.resolve();
    await a.load();
    expect(a.data.value).toBe(2);
    expect(b.data.value).toBe(1);
  });

  it('lets a command set the data, and a slower earlier load not overwrite it', async () => {
    const slow = deferred<string>();
    const q = query('t:race', () => slow.promise);
    const loading = q.load();
    q.set('from command');
    slow.resolve('stale from the network');
    await loading;
    expect(q.data.value).toBe('from command');
    expect(q.loading.value).toBe(false);
  });

  it('updates in place and forgets everything on clear', async () => {
    const q = query('t:list', () => Promise.resolve([1, 2]));
    await q.load();
    q.update((list) => [...list, 3]);
    expect(q.data.value).toEqual([1, 2, 3]);
    clearQueries();
    expect(q.data.value).toBeUndefined();
    expect(query('t:list', () => Promise.resolve([9])).data.value).toBeUndefined();
  });
});
