import {
  BadHeaderError,
  contentDispositionHeader,
  HttpResponse,
  ManoucheError,
  ResponseHeaders,
} from '@manouche/core';

// Response headers are checked where they are set, so a mistake surfaces in the view that made it
// (Django's BadHeaderError) instead of as an answer that never leaves the server.

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('BadHeaderError', () => {
  it('is a ManoucheError with its own code, and a 500 when it escapes a view', () => {
    const error = new BadHeaderError('message');
    expect(error).toBeInstanceOf(ManoucheError);
    expect([error.code, error.status, error.name]).toEqual(['MNC_ERR_BAD_HEADER', 500, 'BadHeaderError']);
  });
});

describe('a header name is refused at set() unless it is an RFC 9110 token', () => {
  it.each(['X Note', 'X-Note\r\nX-Injected', 'X-Note:', '', 'Näme', '(comment)', 'a\0b', 'a\tb', 'a/b'])(
    '%j',
    (name) => {
      const error = thrownBy(() => new ResponseHeaders().set(name, 'value'));
      expect(error).toBeInstanceOf(BadHeaderError);
      expect((error as Error).message).toBe(
        `Header name ${JSON.stringify(name)} is not an HTTP token (RFC 9110 5.1)`,
      );
    },
  );

  it.each(["X-Odd_But.Valid!#$%&'*+^`|~", 'content-type', 'X-1'])('%j is accepted', (name) => {
    expect(new ResponseHeaders().set(name, 'v').get(name)).toBe('v');
  });

  it('setDefault() and the headers given to HttpResponse are checked the same way', () => {
    expect(() => new ResponseHeaders().setDefault('X Note', 'v')).toThrow(BadHeaderError);
    expect(() => new HttpResponse('', { headers: { 'X Note': 'v' } })).toThrow(BadHeaderError);
    expect(() => new HttpResponse('', { headers: [['X\nNote', 'v']] })).toThrow(BadHeaderError);
  });

  it('get(), has() and delete() of a bad name just find nothing', () => {
    const headers = new ResponseHeaders();
    expect([headers.get('X Note'), headers.has('X Note'), headers.delete('X Note')]).toEqual([
      null,
      false,
      false,
    ]);
  });
});

describe('a header value is refused at set() when it holds CR, LF, NUL or another control character', () => {
  it.each([
    ['a\r\nSet-Cookie: x=1', '000D'],
    ['a\nb', '000A'],
    ['a\rb', '000D'],
    ['a\0b', '0000'],
    ['a\x1b[31mred', '001B'],
    ['a\x7fb', '007F'],
  ])('%j', (value, code) => {
    const error = thrownBy(() => new ResponseHeaders().set('X-Note', value));
    expect(error).toBeInstanceOf(BadHeaderError);
    expect((error as Error).message).toBe(
      `Header "X-Note" can't contain CR, LF, NUL or another control character (found U+${code})`,
    );
  });

  it('a tab, and Latin-1 characters, are kept as they are', () => {
    const headers = new ResponseHeaders().set('X-Note', 'a\tb').set('X-Place', 'Café');
    expect([headers.get('x-note'), headers.get('x-place')]).toEqual(['a\tb', 'Café']);
    expect(headers.asciiOnly).toBe(false);
  });

  it('a number is written as its decimal text', () => {
    expect(new ResponseHeaders().set('Content-Length', 12).get('content-length')).toBe('12');
  });
});

describe('a header value beyond Latin-1 is MIME-encoded, as Django does', () => {
  // The expected words are what Django 4.2 writes for the same values.
  it.each([
    // Django 4.2: response.headers['X'] = '†' gives '=?utf-8?b?4oCg?='
    ['†', '=?utf-8?b?4oCg?='],
    ['Crème brûlée †', '=?utf-8?b?Q3LDqG1lIGJyw7tsw6llIOKAoA==?='],
    ['日本語のファイル名.txt', '=?utf-8?b?5pel5pys6Kqe44Gu44OV44Kh44Kk44Or5ZCNLnR4dA==?='],
  ])('%j -> %s', (value, encoded) => {
    const headers = new ResponseHeaders().set('X-Title', value);
    expect(headers.get('X-Title')).toBe(encoded);
    // The encoded word is ASCII: the body may still go out with the head in one piece.
    expect(headers.asciiOnly).toBe(true);
  });

  it('a control character is still refused, not encoded', () => {
    expect(() => new ResponseHeaders().set('X-Title', '†\r\nX-Injected: 1')).toThrow(BadHeaderError);
  });
});

describe('the reason phrase and cookies are checked when given', () => {
  it.each([
    ['OK\r\nX-Injected: yes', 'CR/LF'],
    ['Ça va †', 'beyond Latin-1'],
    ['a\0b', 'NUL'],
  ])('a reason phrase %j (%s) throws BadHeaderError', (reason) => {
    const error = thrownBy(() => new HttpResponse('', { reason }));
    expect(error).toBeInstanceOf(BadHeaderError);
    expect((error as Error).message).toBe(
      `Reason phrase ${JSON.stringify(reason)} can hold only tab, space and visible Latin-1 characters`,
    );
  });

  it('a Latin-1 reason phrase is kept', () => {
    expect(new HttpResponse('', { status: 299, reason: 'Très Bien' }).reasonPhrase).toBe('Très Bien');
  });

  it.each([
    ['bad name', {}, 'argument name is invalid'],
    ['name\r\nX-Injected', {}, 'argument name is invalid'],
    ['name', { path: '/a\r\nX-Injected: 1' }, 'option path is invalid'],
    ['name', { domain: 'exa mple.com' }, 'option domain is invalid'],
    ['name', { maxAge: 1.5 }, 'option maxAge is invalid'],
  ])(
    'setCookie(%j, value, %j) throws BadHeaderError naming the cookie, without the bad text',
    (name, options, what) => {
      const error = thrownBy(() => new HttpResponse().setCookie(name, 'value', options));
      expect(error).toBeInstanceOf(BadHeaderError);
      expect((error as Error).message).toBe(`Cookie ${JSON.stringify(name)} can't be set: ${what}`);
    },
  );

  it('a cookie value may hold any well-formed text: it is percent-encoded', () => {
    const response = new HttpResponse();
    response.setCookie('name', 'a\r\n\0; b†');
    expect(response.cookies.get('name')).toBe('name=a%0D%0A%00%3B%20b%E2%80%A0; Path=/');
    expect(() => response.setCookie('name', '\ud800')).toThrow(
      new BadHeaderError(`Cookie "name" can't be set: its value is not well-formed Unicode`),
    );
  });
});

describe('contentDispositionHeader(asAttachment, filename), as Django 5 builds it', () => {
  it.each([
    [true, 'report.pdf', 'attachment; filename="report.pdf"'],
    [false, 'report.pdf', 'inline; filename="report.pdf"'],
    [true, 'my "quoted" \\ file.txt', 'attachment; filename="my \\"quoted\\" \\\\ file.txt"'],
    [true, 'tab\tand space.txt', 'attachment; filename="tab\tand space.txt"'],
    [true, 'résumé.pdf', "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"],
    [false, '日本語.txt', "inline; filename*=utf-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt"],
    // ASCII but not quotable (a newline): percent-encoded rather than refused.
    [true, 'two\nlines.txt', "attachment; filename*=utf-8''two%0Alines.txt"],
    // Not RFC 8187 attr-chars, though encodeURIComponent would leave them: ' ( ) * and the space.
    [true, "it's (1) *é*.txt", "attachment; filename*=utf-8''it%27s%20%281%29%20%2A%C3%A9%2A.txt"],
    // A lone surrogate is encoded as U+FFFD rather than throwing.
    [true, 'bad\ud800.txt', "attachment; filename*=utf-8''bad%EF%BF%BD.txt"],
    [true, '', 'attachment'],
    [false, '', null],
  ])('(%j, %j) -> %j', (asAttachment, filename, expected) => {
    expect(contentDispositionHeader(asAttachment, filename)).toBe(expected);
  });

  it('always gives a value that ResponseHeaders.set() accepts unchanged', () => {
    const value = contentDispositionHeader(true, 'naïve\r\n“name”.txt')!;
    expect(new ResponseHeaders().set('Content-Disposition', value).get('content-disposition')).toBe(value);
  });
});
