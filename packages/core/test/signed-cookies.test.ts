import { BadSignature, HttpResponse, JsonResponse, path, type HttpRequest } from '@manouche/core';
import { httpRequest } from './support/raw-http';
import { serve, type Served } from './support/serve';

// Django's set_signed_cookie / get_signed_cookie, over a real socket.

let served: Served;

function read(request: HttpRequest): JsonResponse {
  return new JsonResponse({
    plain: request.getSignedCookie('flavour', { default: 'none' }),
    salted: request.getSignedCookie('salted', { salt: 'pepper', default: 'none' }),
    expired: request.getSignedCookie('flavour', { maxAge: -1, default: 'too old' }),
  });
}

beforeAll(async () => {
  served = await serve({
    SECRET_KEY: 'a secret for signed cookies',
    ROOT_URLCONF: [
      path('set/', () => {
        const response = new HttpResponse('set');
        response.setSignedCookie('flavour', 'ginger');
        response.setSignedCookie('salted', 'lemon', { salt: 'pepper', httpOnly: true });
        return response;
      }),
      path('read/', read),
      path('strict/', (request) => new HttpResponse(request.getSignedCookie('flavour'))),
    ],
  });
});
afterAll(() => served.close());

function cookiesFrom(setCookie: string[] | undefined): string {
  return (setCookie ?? []).map((line) => line.split(';', 1)[0]).join('; ');
}

describe('response.setSignedCookie() and request.getSignedCookie()', () => {
  it('round-trips a value, salts included, and keeps the cookie options', async () => {
    const set = await httpRequest(`${served.url}/set/`);
    expect(set.headers['set-cookie']?.[1]).toMatch(/HttpOnly/i);
    const response = await httpRequest(`${served.url}/read/`, {
      headers: { Cookie: cookiesFrom(set.headers['set-cookie']) },
    });
    expect(JSON.parse(response.text)).toEqual({ plain: 'ginger', salted: 'lemon', expired: 'too old' });
  });

  it('gives the default for a tampered value or one signed for another name', async () => {
    const set = await httpRequest(`${served.url}/set/`);
    const [flavour, salted] = (set.headers['set-cookie'] ?? []).map(
      (line) => line.split(';', 1)[0]!.split('=')[1]!,
    );
    const response = await httpRequest(`${served.url}/read/`, {
      headers: { Cookie: `flavour=${flavour!.replace('ginger', 'garlic')}; salted=${flavour}` },
    });
    expect(JSON.parse(response.text)).toMatchObject({ plain: 'none', salted: 'none' });
    expect(salted).toBeDefined();
  });

  it('throws BadSignature without a default, which is a server error', async () => {
    const response = await httpRequest(`${served.url}/strict/`, { headers: { Cookie: 'flavour=forged' } });
    expect(response.status).toBe(500);
    expect(served.logger.lines.some((line) => line.error instanceof BadSignature)).toBe(true);
  });
});
