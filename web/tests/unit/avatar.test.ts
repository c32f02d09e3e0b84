import { describe, expect, it } from 'vitest';
import { initialsOf } from '../../src/ui/Avatar';

describe('Avatar initials', () => {
  it('takes the first letters of the first and last words', () => {
    expect(initialsOf('Ada Park')).toBe('AP');
    expect(initialsOf('  ada   van der park ')).toBe('AP');
    expect(initialsOf('Ada')).toBe('A');
  });

  it('takes one syllable of a Korean name', () => {
    expect(initialsOf('김하나')).toBe('김');
    expect(initialsOf('김 하나')).toBe('김');
  });

  it('shows ? for no name', () => {
    expect(initialsOf('   ')).toBe('?');
  });
});
