/** One area's strings in both languages; a key missing from `ko` is a type error. */
export function defineMessages<const E extends Record<string, string>>(messages: { en: E; ko: { [K in keyof E]: string } }): {
  en: E;
  ko: { [K in keyof E]: string };
} {
  return messages;
}
