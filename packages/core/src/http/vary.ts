import type { HttpResponse } from './response';

/**
 * Django's `patch_vary_headers`: adds `names` to the response's `Vary`, skipping those already there
 * (case-insensitively); a `*` anywhere makes the whole header `*`.
 */
export function patchVaryHeaders(response: HttpResponse, names: readonly string[]): void {
  const existing = response.headers.get('Vary');
  const vary = existing === null ? [] : existing.split(/\s*,\s*/).filter((name) => name !== '');
  const seen = new Set(vary.map((name) => name.toLowerCase()));
  for (const name of names) {
    if (!seen.has(name.toLowerCase())) {
      vary.push(name);
      seen.add(name.toLowerCase());
    }
  }
  response.headers.set('Vary', vary.includes('*') ? '*' : vary.join(', '));
}
