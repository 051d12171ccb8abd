import {
  csrfExempt,
  CsrfViewMiddleware,
  HttpResponse,
  path,
  viewChain,
  wraps,
  XFrameOptionsMiddleware,
  xframeOptionsExempt,
  type HttpRequest,
  type ViewFunction,
  type ViewParams,
} from '@manouche/core';
import { Client } from '@manouche/testing';
import { createLoggedApp } from './support/serve';

/** A decorator of the kind users write (Django's `@login_required` shape), made with wraps(). */
function logged<V extends ViewFunction>(view: V, seen: string[]): V {
  return wraps(view)(((request: HttpRequest, params: ViewParams) => {
    seen.push(`logged ${request.path}`);
    return view(request, params);
  }) as V);
}

describe('wraps()', () => {
  it("gives the wrapper the view's name and own properties, and links it to the view", () => {
    function articleDetail(): HttpResponse {
      return new HttpResponse('article');
    }
    Object.assign(articleDetail, { permission: 'blog.view_article' });
    const wrapper = logged(articleDetail, []);
    expect(wrapper).not.toBe(articleDetail);
    expect(wrapper.name).toBe('articleDetail');
    expect((wrapper as ViewFunction & { permission?: string }).permission).toBe('blog.view_article');
    expect([...viewChain(wrapper)]).toEqual([wrapper, articleDetail]);
  });

  it('stops following a chain that loops back on itself', () => {
    const first = (): HttpResponse => new HttpResponse('1');
    const second = wraps(first)((): HttpResponse => new HttpResponse('2'));
    wraps(second)(first); // a cycle: first -> second -> first ...
    expect([...viewChain(first)].length).toBeLessThanOrEqual(64);
  });

  describe.each(['MIDDLEWARE', 'MIDDLEWARE_CLASSES'] as const)('in %s', (mode) => {
    it("keeps csrfExempt's mark visible through a wrapper", async () => {
      const seen: string[] = [];
      const { app } = createLoggedApp({
        ROOT_URLCONF: [
          path(
            'hook/',
            logged(
              csrfExempt(() => new HttpResponse('exempt')),
              seen,
            ),
          ),
        ],
        [mode]: [CsrfViewMiddleware],
      });
      const response = await new Client(app).post('/hook/', { any: 'thing' });
      expect([response.statusCode, response.text, seen]).toEqual([200, 'exempt', ['logged /hook/']]);
    });

    it('keeps xframeOptionsExempt working inside a wrapper', async () => {
      const { app } = createLoggedApp({
        ROOT_URLCONF: [
          path(
            'frame/',
            logged(
              xframeOptionsExempt(() => new HttpResponse('frame me')),
              [],
            ),
          ),
        ],
        [mode]: [XFrameOptionsMiddleware],
      });
      const response = await new Client(app).get('/frame/');
      expect(response.headers.get('X-Frame-Options')).toBeNull();
    });
  });
});
