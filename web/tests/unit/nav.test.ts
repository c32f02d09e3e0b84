import { describe, expect, it } from 'vitest';
import { entryDepth } from '../../src/app/nav';

describe('in-app history depth (the back arrow never leaves the app)', () => {
  it('counts the page the app was entered at as 0, whatever came before it', () => {
    // Entered from the public card page: history.length is 2, but nothing in-app is before.
    expect(entryDepth(null, null, 2)).toBe(0);
  });

  it('goes one deeper on a push, keeps the depth on a replace, trusts an entry\'s own stamp', () => {
    let mark = { depth: 0, length: 2 };
    const pushed = entryDepth(null, mark, 3);
    expect(pushed).toBe(1);
    mark = { depth: pushed, length: 3 };
    expect(entryDepth(null, mark, 3)).toBe(1); // a redirect (replaceState)
    expect(entryDepth(0, mark, 3)).toBe(0); // back to the entry page: its stamp
    expect(entryDepth(2, { depth: 0, length: 3 }, 3)).toBe(2); // forward again
  });

  it('counts lower when unsure (history at its cap does not grow)', () => {
    expect(entryDepth(null, { depth: 4, length: 50 }, 50)).toBe(4);
    expect(entryDepth('x', null, 7)).toBe(0);
    expect(entryDepth(-1, null, 7)).toBe(0);
  });
});
