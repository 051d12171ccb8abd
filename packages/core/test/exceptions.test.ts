import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@manouche/core';
import {
  CommandError,
  ContentNotRenderedError,
  createApp,
  getToken,
  HttpResponse,
  ImproperlyConfigured,
  ManoucheError,
  path,
  ServerAlreadyListening,
  TemplateResponse,
} from '@manouche/core';
import * as testing from '@manouche/testing';
import { Client, RequestFactory } from '@manouche/testing';
import * as websocket from '@manouche/websocket';
import { EXIT_FAILURE } from '../src/cli/errors';
import * as catalog from '../src/exceptions';

type ErrorClass = new (message: string) => Error;

/** The error classes among a module's exports, by exported name. */
function errorClassesOf(exports: object): Map<string, ErrorClass> {
  const classes = new Map<string, ErrorClass>();
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === 'function' && (value === Error || value.prototype instanceof Error)) {
      classes.set(name, value as ErrorClass);
    }
  }
  return classes;
}

const packages = { '@manouche/core': core, '@manouche/websocket': websocket, '@manouche/testing': testing };

/** Every exported error class of the packages, instantiated: what the README's table must list. */
const errors = Object.entries(packages).flatMap(([packageName, exports]) =>
  [...errorClassesOf(exports)].map(([name, ErrorClass]) => ({
    name,
    packageName,
    ErrorClass,
    error: new ErrorClass('message'),
  })),
);

describe('the error catalog', () => {
  it('finds the error classes of every package (the enumeration below is not vacuous)', () => {
    const names = errors.map(({ packageName, name }) => `${packageName} ${name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        '@manouche/core ManoucheError',
        '@manouche/core BadSignature',
        '@manouche/core CommandError',
        '@manouche/core ClientDisconnected',
        '@manouche/websocket WebSocketClosed',
        '@manouche/testing LiveServerNotStarted',
      ]),
    );
  });

  it.each(errors.map((entry) => [`${entry.packageName} ${entry.name}`, entry] as const))(
    '%s is a ManoucheError with an MNC_ERR_ code, an HTTP status and its own name',
    (_, { name, error }) => {
      expect(error).toBeInstanceOf(ManoucheError);
      const { code, status } = error as ManoucheError;
      expect(code).toMatch(/^MNC_ERR_[A-Z][A-Z0-9_]*$/);
      expect(Number.isInteger(status) && status >= 400 && status <= 599).toBe(true);
      expect(error.name).toBe(name);
      expect(error.message).toBe('message');
    },
  );

  it('gives every error class of core, websocket and testing a different code', () => {
    const byCode = new Map<string, string[]>();
    for (const { name, error } of errors) {
      const code = (error as ManoucheError).code;
      byCode.set(code, [...(byCode.get(code) ?? []), name]);
    }
    const shared = [...byCode].filter(([, names]) => names.length > 1);
    expect(shared).toEqual([]);
  });

  it('keeps every error class of core in exceptions.ts, and index.ts exports each of them', () => {
    const inCatalog = errorClassesOf(catalog);
    const exported = errorClassesOf(core);
    expect([...exported.keys()].sort()).toEqual([...inCatalog.keys()].sort());
    for (const [name, ErrorClass] of exported) expect(ErrorClass).toBe(inCatalog.get(name));
  });

  it('keeps exceptions.ts the lowest module of core: it imports nothing', () => {
    const source = readFileSync(join(__dirname, '..', 'src', 'exceptions.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\b/m);
    expect(source).not.toMatch(/^\s*export\s*(\*|\{[^}]*\})\s*from\b/m);
    expect(source).not.toMatch(/\b(require|import)\(/);
  });

  it("CommandError keeps its constructor and exitCode, defaulting to the CLI's EXIT_FAILURE", () => {
    expect(new CommandError('no settings').exitCode).toBe(EXIT_FAILURE);
    const usage = new CommandError('bad port', 2);
    expect([usage.exitCode, usage.message, usage.name, usage.code]).toEqual([
      2,
      'bad port',
      'CommandError',
      'MNC_ERR_COMMAND',
    ]);
  });
});

describe('misuses that used to throw a plain Error', () => {
  it('app.listen() on an application already listening rejects with ServerAlreadyListening', async () => {
    const app = createApp({ ROOT_URLCONF: [] });
    await app.listen(0);
    try {
      const second = app.listen(0);
      await expect(second).rejects.toBeInstanceOf(ServerAlreadyListening);
      await expect(second).rejects.toMatchObject({
        code: 'MNC_ERR_SERVER_ALREADY_LISTENING',
        message: 'This application is already listening; close() it first',
      });
    } finally {
      await app.close();
    }
  });

  it('getToken() without CsrfViewMiddleware throws ImproperlyConfigured', () => {
    const request = new RequestFactory(createApp({ ROOT_URLCONF: [], MIDDLEWARE: [] })).get('/');
    expect(() => getToken(request)).toThrow(ImproperlyConfigured);
    expect(() => getToken(request)).toThrow(
      expect.objectContaining({
        code: 'MNC_ERR_IMPROPERLY_CONFIGURED',
        message: 'getToken() needs CsrfViewMiddleware in MIDDLEWARE or MIDDLEWARE_CLASSES',
      }),
    );
  });

  it('getToken() without CsrfViewMiddleware in a view is still a 500', async () => {
    const app = createApp({
      ROOT_URLCONF: [path('', (request) => new HttpResponse(getToken(request)))],
      MIDDLEWARE: [],
      LOGGER: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    expect((await new Client(app).get('/')).statusCode).toBe(500);
  });

  it("reading a TemplateResponse's content before render() throws ContentNotRenderedError", async () => {
    const request = new RequestFactory().get('/');
    const response = new TemplateResponse(request, { render: () => 'rendered' });
    expect(() => response.content).toThrow(ContentNotRenderedError);
    expect(() => response.content).toThrow(
      expect.objectContaining({
        code: 'MNC_ERR_CONTENT_NOT_RENDERED',
        message: 'The response content must be rendered before it can be accessed.',
      }),
    );
    await response.render();
    expect(response.content.toString()).toBe('rendered');
  });
});

describe("the core README's error table", () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = /^## Errors\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? '';
  const rows = section
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2) // the header and the |---| line
    .map((line) => line.split('|').map((cell) => cell.trim().replace(/^`(.*)`$/, '$1')))
    .map(([, name, code, status, packageName]) => ({ name, code, status, packageName }));

  it('has a row for each error class', () => {
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBe(errors.length);
  });

  it('lists exactly the classes, codes, statuses and packages that the classes define', () => {
    const byName = (a: { name?: string }, b: { name?: string }) => (a.name ?? '').localeCompare(b.name ?? '');
    const defined = errors.map(({ name, packageName, error }) => ({
      name,
      code: (error as ManoucheError).code,
      status: String((error as ManoucheError).status),
      packageName,
    }));
    expect([...rows].sort(byName)).toEqual(defined.sort(byName));
  });
});
