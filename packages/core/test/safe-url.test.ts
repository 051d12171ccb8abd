import { urlHasAllowedHostAndScheme } from '@manouche/core';
import fc from './support/fast-check';

// Django's own cases for url_has_allowed_host_and_scheme (tests/utils_tests/test_http.py).

describe('urlHasAllowedHostAndScheme()', () => {
  it.each([
    'http://example.com',
    'http:///example.com',
    'https://example.com',
    'ftp://example.com',
    '\\\\example.com',
    '\\\\\\example.com',
    '/\\\\/example.com',
    '\\\\//example.com',
    '/\\/example.com',
    '\\/example.com',
    '/\\example.com',
    'http:/\\//example.com',
    'http:\\/example.com',
    'http:/\\example.com',
    'javascript:alert("XSS")',
    '\njavascript:alert(x)',
    'java\nscript:alert(x)',
    '\x08//example.com',
    'http://otherserver\\@example.com',
    'http:\\\\testserver\\@example.com',
    'http://testserver\\me:pass@example.com',
    'http://testserver\\@example.com',
    'http:\\\\testserver\\confirm\\me@example.com',
    'http:999999999',
    'ftp:9999999999',
    '\n',
    '',
    'http://[2001:cdba:0000:0000:0000:0000:3257:9652/',
    'http://2001:cdba:0000:0000:0000:0000:3257:9652]/',
    'http://[not-an-address]/',
    // Found by the property below: browsers drop tabs and newlines, and then see three slashes.
    '//\t/evil',
    '\\\t//evil/',
    '/\n//evil',
    '\\\\\t\\\n.',
  ])('refuses %j', (url) => {
    expect(urlHasAllowedHostAndScheme(url, ['testserver', 'testserver2'])).toBe(false);
  });

  it.each([
    '/view/?param=http://example.com',
    '/view/?param=https://example.com',
    '/view?param=ftp://example.com',
    'view/?param=//example.com',
    'https://testserver/',
    'HTTPS://testserver/',
    '//testserver/',
    'http://testserver/confirm?email=me@example.com',
    '/url%20with%20spaces/',
    'path/http:2222222222',
    'http://[::1]:8000/',
  ])('allows %j', (url) => {
    expect(urlHasAllowedHostAndScheme(url, ['otherserver', 'testserver', '[::1]:8000'])).toBe(true);
  });

  it('takes one host as a string, credentials as part of the host, and no hosts at all', () => {
    expect(urlHasAllowedHostAndScheme('http://good.com/good', 'good.com')).toBe(true);
    expect(urlHasAllowedHostAndScheme('http://good.co/evil', 'good.com')).toBe(false);
    expect(urlHasAllowedHostAndScheme('http://user:pass@testserver/', ['user:pass@testserver'])).toBe(true);
    expect(urlHasAllowedHostAndScheme('/confirm/me@example.com', null)).toBe(true);
    expect(urlHasAllowedHostAndScheme('http://testserver\\@example.com', null)).toBe(false);
    expect(urlHasAllowedHostAndScheme(null, ['testserver'])).toBe(false);
  });

  it('with requireHttps, allows https and relative URLs only', () => {
    for (const url of ['https://example.com/p', 'HTTPS://example.com/p', '/view/?param=http://example.com'])
      expect(urlHasAllowedHostAndScheme(url, ['example.com'], true)).toBe(true);
    for (const url of ['http://example.com/p', 'ftp://example.com/p', '//example.com/p'])
      expect(urlHasAllowedHostAndScheme(url, ['example.com'], true)).toBe(false);
  });

  it('never lets a browser leave the site: what it allows, the WHATWG parser resolves to an allowed host', () => {
    const piece = fc.constantFrom(
      '/',
      '\\',
      ':',
      '@',
      '.',
      '?',
      '#',
      'http',
      'https',
      'evil',
      'testserver',
      '%2F',
      '\t',
      '\n',
      ' ',
      '\x01',
      '\r',
      '\x00',
      '\u00a0',
      'HTTP',
      'javascript',
      '%09',
      '[',
      ']',
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join('')),
        (url) => {
          if (!urlHasAllowedHostAndScheme(url, ['testserver'])) return;
          let target: URL;
          try {
            target = new URL(url.trim(), 'http://testserver/page/');
          } catch {
            return; // a URL the browser can't parse goes nowhere
          }
          expect(['http:', 'https:']).toContain(target.protocol);
          expect(target.host).toBe('testserver');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
