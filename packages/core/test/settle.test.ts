import { HttpRequest, HttpResponse, createApp, path } from '@manouche/core';
import { convertExceptionToResponse, settleLayer, takeHeldResponse } from '../src/handler/settle';
import type { ConversionContext } from '../src/handler/convert';
import { MemoryLogger } from './support/serve';

// The wrappers every layer of the stack runs in: what they promise (a response, never a throw) and
// the shortcuts that let a synchronous stack answer without a promise.

function context(): () => ConversionContext {
  const app = createApp({
    ROOT_URLCONF: [path('', () => new HttpResponse('x'))],
    LOGGER: new MemoryLogger(),
  });
  const conversion: ConversionContext = {
    settings: app.settings,
    logger: app.logger,
    resolver: app.resolver,
  };
  return () => conversion;
}

describe('settleLayer', () => {
  const request = new HttpRequest({ path: '/settle/' });

  it('answers synchronously with what a synchronous layer returned', () => {
    const response = new HttpResponse('now');
    expect(settleLayer(() => response, 'Now', context())(request)).toBe(response);
  });

  it('turns a throw into the converted response, synchronously', () => {
    const answer = settleLayer(
      () => {
        throw new Error('boom');
      },
      'Thrower',
      context(),
    )(request);
    expect((answer as HttpResponse).statusCode).toBe(500);
  });

  it('turns a rejection into the converted response', async () => {
    const answer = settleLayer(() => Promise.reject(new Error('late')), 'Rejecter', context())(request);
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).statusCode).toBe(500);
  });
});

describe('convertExceptionToResponse (getResponse for MIDDLEWARE)', () => {
  const request = new HttpRequest({ path: '/settle/' });

  it('always answers with a promise, even for a synchronous layer', async () => {
    const response = new HttpResponse('sync');
    const answer = convertExceptionToResponse(() => response, 'Sync', context())(request);
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(response);
  });

  it('hands back the inner promise unchanged through a pass-through layer', () => {
    const inner = convertExceptionToResponse(() => new HttpResponse('inner'), 'Inner', context());
    const outer = convertExceptionToResponse((r) => inner(r), 'PassThrough', context());
    const seen: Array<Promise<HttpResponse>> = [];
    const spying = convertExceptionToResponse(
      (r) => {
        const promise = outer(r);
        seen.push(promise);
        return promise;
      },
      'Spying',
      context(),
    );
    const answer = spying(request);
    expect(answer).toBe(seen[0]);
  });

  it('lets the server take the response of the promise it just made, once', async () => {
    const response = new HttpResponse('held');
    const answer = convertExceptionToResponse(() => response, 'Held', context())(request);
    expect(takeHeldResponse(answer)).toBe(response);
    expect(takeHeldResponse(answer)).toBeNull();
    expect(await answer).toBe(response);
  });

  it('holds nothing for a promise it did not make, or one made before the last', () => {
    const first = convertExceptionToResponse(() => new HttpResponse('1'), 'First', context())(request);
    convertExceptionToResponse(() => new HttpResponse('2'), 'Second', context())(request);
    expect(takeHeldResponse(first)).toBeNull();
    expect(takeHeldResponse(Promise.resolve(new HttpResponse('foreign')))).toBeNull();
  });

  it('holds nothing for a layer that answered later', async () => {
    const answer = convertExceptionToResponse(
      () => Promise.resolve(new HttpResponse('later')),
      'Later',
      context(),
    )(request);
    expect(takeHeldResponse(answer)).toBeNull();
    expect((await answer).text).toBe('later');
  });
});
