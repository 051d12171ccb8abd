import {
  HttpResponse,
  path,
  xframeOptionsDeny,
  xframeOptionsExempt,
  xframeOptionsSameorigin,
  XFrameOptionsMiddleware,
  type HttpRequest,
  type Settings,
} from '@manouche/core';
import { overrideSettings } from '@manouche/testing';
import { httpRequest } from './support/raw-http';
import { serve, type Served } from './support/serve';
import { inStack, STACKS, type Stack } from './support/stacks';

const stack = (setting: Stack): Partial<Settings> => inStack(setting, XFrameOptionsMiddleware);

function embeddable(_request: HttpRequest, params: { id?: unknown }): HttpResponse {
  return new HttpResponse(`widget ${String(params.id)}`);
}

describe.each(STACKS)('XFrameOptionsMiddleware in %s', (setting) => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      ...stack(setting),
      ROOT_URLCONF: [
        path('', () => new HttpResponse('home')),
        path('framed/', () => new HttpResponse('mine', { headers: { 'X-Frame-Options': 'SAMEORIGIN' } })),
        path('widget/<int:id>/', xframeOptionsExempt(embeddable)),
      ],
    });
  });
  afterAll(() => served.close());

  it('sends X-Frame-Options: DENY by default', async () => {
    const response = await httpRequest(`${served.url}/`);
    expect(response.headers['x-frame-options']).toBe('DENY');
  });

  it('sends the X_FRAME_OPTIONS setting, read at request time', async () => {
    const response = await overrideSettings(served.app, { X_FRAME_OPTIONS: 'SAMEORIGIN' }, () =>
      httpRequest(`${served.url}/`),
    );
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('keeps the X-Frame-Options a view set', async () => {
    const response = await httpRequest(`${served.url}/framed/`);
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('adds the header to a 404 as well', async () => {
    const response = await httpRequest(`${served.url}/missing/`);
    expect(response.status).toBe(404);
    expect(response.headers['x-frame-options']).toBe('DENY');
  });

  it('sends no X-Frame-Options for a view wrapped in xframeOptionsExempt', async () => {
    const response = await httpRequest(`${served.url}/widget/7/`);
    expect(response.status).toBe(200);
    expect(response.text).toBe('widget 7');
    expect(response.headers['x-frame-options']).toBeUndefined();
  });
});

describe.each(STACKS)('xframeOptionsSameorigin() and xframeOptionsDeny() in %s', (setting) => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      ...stack(setting),
      X_FRAME_OPTIONS: 'SAMEORIGIN',
      ROOT_URLCONF: [
        path(
          'same/',
          xframeOptionsSameorigin(() => new HttpResponse('same')),
        ),
        path(
          'deny/',
          xframeOptionsDeny(() => new HttpResponse('deny')),
        ),
        path(
          'own/',
          xframeOptionsDeny(() => new HttpResponse('own', { headers: { 'X-Frame-Options': 'SAMEORIGIN' } })),
        ),
      ],
    });
  });
  afterAll(() => served.close());

  it('xframeOptionsDeny sends DENY whatever X_FRAME_OPTIONS says', async () => {
    expect((await httpRequest(`${served.url}/deny/`)).headers['x-frame-options']).toBe('DENY');
  });

  it('xframeOptionsSameorigin sends SAMEORIGIN', async () => {
    expect((await httpRequest(`${served.url}/same/`)).headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('keeps the header a view set itself', async () => {
    expect((await httpRequest(`${served.url}/own/`)).headers['x-frame-options']).toBe('SAMEORIGIN');
  });
});

describe('xframeOptionsExempt()', () => {
  it("keeps the view's name", () => {
    expect(xframeOptionsExempt(embeddable).name).toBe('embeddable');
  });
});

describe('X_FRAME_OPTIONS in lower case', () => {
  it('is accepted at createApp and sent upper-cased, as Django does', async () => {
    const served = await serve({
      MIDDLEWARE: [XFrameOptionsMiddleware],
      X_FRAME_OPTIONS: 'sameorigin',
      ROOT_URLCONF: [path('', () => new HttpResponse('home'))],
    });
    try {
      expect((await httpRequest(`${served.url}/`)).headers['x-frame-options']).toBe('SAMEORIGIN');
    } finally {
      await served.close();
    }
  });
});
