// Content negotiation on the Accept header (RFC 9110 12.5.1), as Django 5.2's request.accepts() and
// get_preferred_type() read it.

/** One media range of an `Accept` header: `text/*;q=0.8` is `{ type: 'text', subtype: '*', q: 0.8 }`. */
export interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly params: Readonly<Record<string, string>>;
  /** The quality, 0 to 1 (1 when not given). */
  readonly q: number;
}

/**
 * The media ranges of an `Accept` header, most preferred first: by quality, then the more specific
 * range first (`text/html;level=1`, `text/html`, `text/*`, `*\/*`), as RFC 9110 ranks them. A missing
 * header accepts everything (`*\/*`); malformed ranges are skipped.
 */
export function parseAccept(header: string | null): MediaRange[] {
  if (header === null || header.trim() === '') return [{ type: '*', subtype: '*', params: {}, q: 1 }];
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [essence = '', ...parameters] = part.split(';');
    const [type, subtype, extra] = essence.trim().toLowerCase().split('/');
    if (!type || !subtype || extra !== undefined) continue;
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    let q = 1;
    for (const parameter of parameters) {
      const equals = parameter.indexOf('=');
      if (equals === -1) continue;
      const name = parameter.slice(0, equals).trim().toLowerCase();
      const value = parameter
        .slice(equals + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (name === 'q') {
        const quality = Number(value);
        q = Number.isFinite(quality) ? Math.min(Math.max(quality, 0), 1) : 1;
      } else {
        params[name] = value;
      }
    }
    ranges.push({ type, subtype, params, q });
  }
  return ranges.sort((a, b) => b.q - a.q || specificity(b) - specificity(a));
}

function specificity(range: MediaRange): number {
  if (range.type === '*') return 0;
  if (range.subtype === '*') return 1;
  return Object.keys(range.params).length > 0 ? 3 : 2;
}

/** Whether `range` covers `mediaType` (`text/html`, parameters allowed: `text/html; level=1`). */
function covers(range: MediaRange, mediaType: string): boolean {
  const [essence = '', ...parameters] = mediaType.split(';');
  const [type, subtype] = essence.trim().toLowerCase().split('/');
  if (range.type !== '*' && range.type !== type) return false;
  if (range.subtype !== '*' && range.subtype !== subtype) return false;
  for (const [name, value] of Object.entries(range.params)) {
    const given = parameters.find((parameter) => parameter.split('=')[0]!.trim().toLowerCase() === name);
    if (given === undefined || given.split('=')[1]!.trim() !== value) return false;
  }
  return true;
}

/** The quality the header gives `mediaType`: that of the most specific range covering it, else 0. */
function qualityOf(ranges: readonly MediaRange[], mediaType: string): number {
  let best: MediaRange | null = null;
  for (const range of ranges) {
    if (covers(range, mediaType) && (best === null || specificity(range) > specificity(best))) best = range;
  }
  return best?.q ?? 0;
}

/** Whether the client accepts `mediaType` (a covering range with a quality above 0). */
export function accepts(ranges: readonly MediaRange[], mediaType: string): boolean {
  return qualityOf(ranges, mediaType) > 0;
}

/** The one of `mediaTypes` the client prefers (ties: the first given), or `null` when it accepts none. */
export function preferredType(ranges: readonly MediaRange[], mediaTypes: readonly string[]): string | null {
  let best: string | null = null;
  let bestQuality = 0;
  for (const mediaType of mediaTypes) {
    const quality = qualityOf(ranges, mediaType);
    if (quality > bestQuality) {
      best = mediaType;
      bestQuality = quality;
    }
  }
  return best;
}
