// PostgreSQL's text for a timestamptz, turned into the API's ISO 8601 strings without a JS Date in between.

/**
 * Whether `text` is a timestamptz as a UTC session with DateStyle ISO sends it: `2026-11-23 08:16:08.123456+00`, with
 * 0 to 6 fraction digits (PostgreSQL drops trailing zeros). Any other zone, DateStyle or a year past 9999 is not.
 */
function isUtcText (text: string): boolean {
  const length = text.length
  return (length === 22 || (length >= 24 && length <= 29 && text.charCodeAt(19) === 46 /* . */)) &&
    text.charCodeAt(4) === 45 /* - */ && text.charCodeAt(10) === 32 /* space */ && text.endsWith('+00')
}

/** `2026-11-23T08:16:08.123Z`: milliseconds truncated, exactly as `new Date(text).toISOString()` writes it. */
export function isoMillis (text: string): string {
  if (!isUtcText(text)) return new Date(text).toISOString()
  // Three fraction digits or more: the milliseconds are there to copy.
  if (text.length >= 26) return text.slice(0, 10) + 'T' + text.slice(11, 23) + 'Z'
  return text.slice(0, 10) + 'T' + text.slice(11, 19) + '.' + (text.slice(20, text.length - 3) + '000').slice(0, 3) + 'Z'
}

/** `2026-11-23T08:16:08.123456Z`: the microseconds PostgreSQL keeps, which a keyset cursor must not lose. */
export function isoMicros (text: string): string {
  if (isUtcText(text)) return text.slice(0, 10) + 'T' + text.slice(11, 19) + '.' + (text.slice(20, text.length - 3) + '000000').slice(0, 6) + 'Z'
  // Another zone: the Date finds the UTC second; an offset is whole seconds, so the text's own digits follow it.
  const digits = /\d{2}:\d{2}:\d{2}\.(\d{1,6})/.exec(text)?.[1] ?? ''
  return `${new Date(text).toISOString().slice(0, 19)}.${(digits + '000000').slice(0, 6)}Z`
}
