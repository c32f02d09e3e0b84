/**
 * The search index's tokens as the app makes them: the same as the server's
 * `bca.search.tokens` without Kiwi (the app cannot run it), so a subset of the families the
 * server indexes and asks for:
 * - Hangul: syllable bigrams of each run, its last syllable, its initial consonants (choseong);
 * - initial consonants typed as such (ㅎㄱㄷ): a prefix of the choseong family;
 * - Latin: lowercased, accents removed;
 * - digits: a run of 4 or more (phone separators joined) by each 4-digit window.
 *
 * `tests/search/tokens_fixtures.json` holds the server's output for a set of texts;
 * `tests/unit/search-tokens.test.ts` checks that this module gives the same, and
 * `tests/search/test_tokens.py` that the file is the server's current output.
 */

const HANGUL_FIRST = 0xac00;
const HANGUL_LAST = 0xd7a3;
const CHOSEONG = 'ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ';
const MAX_TEXT = 20_000;

/** One run of one script: hangul, jamo, digits or latin. */
export interface Segment {
  family: 'hangul' | 'jamo' | 'digits' | 'latin';
  value: string;
}

const SEGMENT =
  /([\uac00-\ud7a3]+)|([\u3131-\u314e]+)|(\p{Decimal_Number}(?:\p{Decimal_Number}|[-. ()](?=[\p{Decimal_Number}(]))*\p{Decimal_Number}|\p{Decimal_Number})|((?:(?![\uac00-\ud7a3\u3131-\u318e])[\p{L}\p{Nl}\p{No}])+)/gu;

/** A text's characters as Python counts them (code points, not UTF-16 units). */
function codePoints(text: string): string[] {
  return Array.from(text);
}

function isHangul(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return code >= HANGUL_FIRST && code <= HANGUL_LAST;
}

/** The initial consonants of a run of Hangul syllables (홍길동 → ㅎㄱㄷ). */
export function choseong(word: string): string {
  let out = '';
  for (const char of word) {
    out += CHOSEONG[Math.floor(((char.codePointAt(0) ?? HANGUL_FIRST) - HANGUL_FIRST) / 588)] ?? '';
  }
  return out;
}

/** Lowercase, without accents; Hangul syllables kept as they are. */
export function foldLatin(word: string): string {
  let out = '';
  // Python's casefold: ß is ss, a final sigma is σ.
  for (const char of word.toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ')) {
    out += isHangul(char) ? char : char.normalize('NFKD').replace(/\p{M}/gu, '');
  }
  return out;
}

export function bigrams(word: string): string[] {
  const chars = codePoints(word);
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(`${chars[i] ?? ''}${chars[i + 1] ?? ''}`);
  return out;
}

export function digitWindows(digits: string): string[] {
  if (digits.length < 4) return [digits];
  const out: string[] = [];
  for (let i = 0; i + 4 <= digits.length; i++) out.push(digits.slice(i, i + 4));
  return out;
}

export function segments(text: string): Segment[] {
  const out: Segment[] = [];
  const normalized = codePoints(text).slice(0, MAX_TEXT).join('').normalize('NFC');
  for (const match of normalized.matchAll(SEGMENT)) {
    if (match[1]) out.push({ family: 'hangul', value: match[1] });
    else if (match[2]) out.push({ family: 'jamo', value: match[2] });
    else if (match[3]) {
      const value = codePoints(match[3])
        .filter((char) => /\p{Decimal_Number}/u.test(char))
        .join('')
        .normalize('NFKD')
        .replace(/[^0-9]/g, '');
      if (value) out.push({ family: 'digits', value });
    } else if (match[4]) {
      const value = foldLatin(match[4]).replace(/[^\p{L}\p{N}]/gu, '');
      if (value) out.push({ family: 'latin', value });
    }
  }
  return out;
}

/** The distinct tokens a text is indexed by (the server's without morphemes), in order. */
export function indexTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const { family, value } of segments(text)) {
    if (family === 'hangul') {
      for (const gram of bigrams(value)) terms.add(gram);
      terms.add(codePoints(value).at(-1) ?? '');
      terms.add(choseong(value));
    } else if (family === 'digits') {
      for (const window of digitWindows(value)) terms.add(window);
    } else {
      terms.add(value);
    }
  }
  return [...terms];
}

/** What a query asks: all of `required`, and a token starting with each of `prefixes`. */
export interface QueryTerms {
  required: string[];
  prefixes: string[];
}

const TRAILING_PARTICLES = [
  '에서', '께서', '님께', '한테', '에게', '으로', '처럼', '까지', '부터',
  '의', '이', '가', '을', '를', '은', '는', '과', '와', '에', '로', '도', '만', '님',
];

/**
 * The tokens of a query (the server's without Kiwi). With `stripParticle`, a Hangul word
 * loses a particle it ends with (김민수님께 → 김민수): the app's second try when the word as
 * typed finds nothing, since it cannot tell a particle from a syllable of the word.
 */
export function queryTerms(text: string, { stripParticle = false } = {}): QueryTerms {
  const required = new Set<string>();
  const prefixes = new Set<string>();
  for (const { family, value } of segments(text)) {
    if (family === 'hangul') {
      let part = value;
      if (stripParticle) {
        const particle = TRAILING_PARTICLES.find(
          (p) => part.endsWith(p) && codePoints(part).length - codePoints(p).length >= 2,
        );
        if (particle) part = part.slice(0, part.length - particle.length);
      }
      if (codePoints(part).length === 1) prefixes.add(part);
      else for (const gram of bigrams(part)) required.add(gram);
    } else if (family === 'jamo') {
      prefixes.add(value);
    } else if (family === 'digits') {
      for (const window of digitWindows(value)) required.add(window);
    } else {
      required.add(value);
    }
  }
  return { required: [...required], prefixes: [...prefixes].filter((p) => !required.has(p)) };
}

/** SQLite FTS5's MATCH text for a query (every token, prefixes with `*`), or null. */
export function fts5Match(terms: QueryTerms): string | null {
  const parts = [
    ...terms.required.map((term) => `"${term}"`),
    ...terms.prefixes.map((term) => `"${term}"*`),
  ];
  return parts.length ? parts.join(' ') : null;
}
