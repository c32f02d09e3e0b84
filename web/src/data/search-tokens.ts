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

/** A Hangul word without up to two trailing particles (팀장님과 → 팀장), two syllables left at least. */
export function withoutParticles(word: string): string {
  let part = word;
  for (let round = 0; round < 2; round++) {
    const particle = TRAILING_PARTICLES.find((p) => part.endsWith(p) && codePoints(part).length - codePoints(p).length >= 2);
    if (!particle) break;
    part = part.slice(0, part.length - particle.length);
  }
  return part;
}

/**
 * The tokens of a query (the server's without Kiwi). With `stripParticle`, a Hangul word
 * loses the particles it ends with (김민수님께 → 김민수, 팀장님과 → 팀장): the app's second try
 * when the words as typed find nothing, since it cannot tell a particle from a syllable.
 */
export function queryTerms(text: string, { stripParticle = false } = {}): QueryTerms {
  const required = new Set<string>();
  const prefixes = new Set<string>();
  for (const { family, value } of segments(text)) {
    if (family === 'hangul') {
      const part = stripParticle ? withoutParticles(value) : value;
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

/** What a query's matched ranges are looked for by: its segments (Hangul words as asked). */
export function queryPieces(text: string, { stripParticle = false } = {}): Segment[] {
  return segments(text).map((segment) => (segment.family === 'hangul' && stripParticle ? { ...segment, value: withoutParticles(segment.value) } : segment));
}

function findAll(haystack: readonly string[], needle: readonly string[]): number[] {
  const found: number[] = [];
  if (needle.length === 0) return found;
  for (let start = 0; start + needle.length <= haystack.length; start++) {
    if (needle.every((char, i) => haystack[start + i] === char)) found.push(start);
  }
  return found;
}

/**
 * Where the pieces appear in `text`: sorted, merged `[start, end)` offsets in code points (as
 * the server's `ranges`), case and accents ignored, a phone number's separators skipped, initial
 * consonants at the start of a Hangul run.
 */
export function matchedRanges(text: string, pieces: readonly Segment[]): [number, number][] {
  const chars = codePoints(text);
  const folded: string[] = [];
  const positions: number[] = [];
  chars.forEach((char, i) => {
    for (const part of codePoints(foldLatin(char))) {
      folded.push(part);
      positions.push(i);
    }
  });
  const digitAt = chars.flatMap((char, i) => (char >= '0' && char <= '9' ? [i] : []));
  const digits = digitAt.map((i) => chars[i] ?? '');
  const found: [number, number][] = [];
  for (const piece of pieces) {
    const needle = codePoints(piece.value);
    if (piece.family === 'digits') {
      for (const start of findAll(digits, needle)) found.push([digitAt[start] ?? 0, (digitAt[start + needle.length - 1] ?? 0) + 1]);
    } else if (piece.family === 'jamo') {
      let start = 0;
      while (start < chars.length) {
        if (!isHangul(chars[start] ?? '')) {
          start++;
          continue;
        }
        let end = start;
        while (end < chars.length && isHangul(chars[end] ?? '')) end++;
        if (choseong(chars.slice(start, end).join('')).startsWith(piece.value)) found.push([start, start + needle.length]);
        start = end;
      }
    } else {
      for (const start of findAll(folded, needle)) found.push([positions[start] ?? 0, (positions[start + needle.length - 1] ?? 0) + 1]);
    }
  }
  found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const [start, end] of found) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}
