import {
  authenticate,
  BadRequest,
  EventStreamResponse,
  getMessages,
  getToken,
  Http404,
  HttpResponse,
  HttpResponseNotAllowed,
  HttpResponseRedirect,
  JsonResponse,
  login,
  loginRedirectUrl,
  loginRequired,
  logout,
  logoutRedirectUrl,
  messages,
  path,
  TemplateResponse,
  type HttpRequest,
  type ResponseInit,
  type TemplateContext,
  type UrlConf,
  type WebSocketConnection,
} from '@manouche/core';
import { acceptWebsocket, requireWebsocket } from '@manouche/websocket';
import type { Blog } from './blog';
import { LIMITS, type Comment, type Post } from './models';
import { CLIENT_ROOT, serveStatic } from './static';

/** Posts per page on the list. */
export const PAGE_SIZE = 5;

/** Close code for a WebSocket to a post that does not exist (4000-4999 are the application's). */
export const CLOSE_NO_SUCH_POST = 4404;

/** Longest chat message; longer ones are cut. */
export const CHAT_MAX_LENGTH = 500;

type Errors = Record<string, string>;

/**
 * A page: the template with what Django's context processors would give it: the user, the messages
 * (shown once, by `base.html`) and the CSRF token every form needs.
 */
function page(request: HttpRequest, template: string, context: TemplateContext = {}, init?: ResponseInit) {
  return new TemplateResponse(
    request,
    template,
    { user: request.user, messages: getMessages(request), csrf_token: getToken(request), ...context },
    init,
  );
}

function field(request: HttpRequest, name: string): string {
  return (request.POST.get(name) ?? '').trim();
}

/** `?page=`: a positive integer, else 404 (Django's `ListView` does the same). */
function pageNumber(request: HttpRequest): number {
  const raw = request.GET.get('page');
  if (raw === null || raw === '') return 1;
  if (raw === 'last') return Number.POSITIVE_INFINITY;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new Http404('Invalid page number');
  return Number(raw);
}

/** `?since=`: the id of the newest comment the client has; 0 when absent. */
function sinceParam(request: HttpRequest): number {
  const raw = request.GET.get('since');
  if (raw === null || raw === '') return 0;
  if (!/^\d{1,15}$/.test(raw)) throw new BadRequest('since must be a comment id');
  return Number(raw);
}

/** Whether the client asks for an event stream (an `EventSource`) rather than JSON. */
function wantsEventStream(request: HttpRequest): boolean {
  return request.getPreferredType(['application/json', 'text/event-stream']) === 'text/event-stream';
}

/** Where an event stream starts: `Last-Event-ID` (a reconnecting `EventSource`), else `?since=`. */
function eventStreamStart(request: HttpRequest): number {
  const lastEventId = request.headers.get('Last-Event-ID');
  if (lastEventId !== null && /^\d{1,15}$/.test(lastEventId)) return Number(lastEventId);
  return sinceParam(request);
}

/** The blog's URL conf, its views bound to `blog`. */
export function blogUrls(blog: Blog): UrlConf {
  const { models } = blog;

  function getPostOr404(id: number): Post {
    const post = models.getPost(id);
    if (post === null) throw new Http404(`No post with id ${id}`);
    return post;
  }

  /** Validates and stores a comment, then pushes it to the post's open sockets. */
  function addComment(
    request: HttpRequest,
    post: Post,
    input: { author: string; body: string },
  ): Comment | Errors {
    const errors: Errors = {};
    const author = request.user.isAuthenticated ? request.user.username : input.author || 'anonymous';
    if (input.body === '') errors.body = 'Write something first.';
    else if (input.body.length > LIMITS.comment) errors.body = `At most ${LIMITS.comment} characters.`;
    if (author.length > LIMITS.author) errors.author = `At most ${LIMITS.author} characters.`;
    if (Object.keys(errors).length > 0) return errors;
    const comment = models.createComment({ postId: post.id, author, body: input.body });
    blog.comments.publish(comment);
    return comment;
  }

  function postList(request: HttpRequest): HttpResponse {
    const count = models.countPosts();
    const numPages = Math.max(1, Math.ceil(count / PAGE_SIZE));
    let number = pageNumber(request);
    if (number === Number.POSITIVE_INFINITY) number = numPages;
    if (number > numPages) throw new Http404('That page contains no results');
    const posts = models.listPosts(PAGE_SIZE, (number - 1) * PAGE_SIZE);
    return page(request, 'post_list.html', {
      posts,
      count,
      page: {
        number,
        num_pages: numPages,
        has_previous: number > 1,
        has_next: number < numPages,
        previous_page_number: number - 1,
        next_page_number: number + 1,
      },
    });
  }

  function postDetail(request: HttpRequest, { id }: { id: number }): HttpResponse {
    const post = getPostOr404(id);
    let errors: Errors = {};
    let form = { author: '', body: '' };
    if (request.method === 'POST') {
      form = { author: field(request, 'author'), body: field(request, 'body') };
      const result = addComment(request, post, form);
      if ('id' in result) return new HttpResponseRedirect(`/posts/${post.id}/#comment-${result.id}`);
      errors = result;
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new HttpResponseNotAllowed(['GET', 'HEAD', 'POST']);
    }
    const comments = models.listComments(post.id);
    return page(
      request,
      'post_detail.html',
      {
        post,
        comments,
        last_comment_id: comments.at(-1)?.id ?? 0,
        errors,
        form,
      },
      { status: Object.keys(errors).length > 0 ? 400 : 200 },
    );
  }

  const newPost = loginRequired((request: HttpRequest) => {
    let errors: Errors = {};
    let form = { title: '', body: '' };
    if (request.method === 'POST') {
      form = { title: field(request, 'title'), body: field(request, 'body') };
      errors = {};
      if (form.title === '') errors.title = 'A post needs a title.';
      else if (form.title.length > LIMITS.title) errors.title = `At most ${LIMITS.title} characters.`;
      if (form.body === '') errors.body = 'A post needs a body.';
      else if (form.body.length > LIMITS.body) errors.body = `At most ${LIMITS.body} characters.`;
      if (Object.keys(errors).length === 0) {
        const post = models.createPost({ ...form, author: request.user.username });
        messages.success(request, 'Post published.');
        return new HttpResponseRedirect(`/posts/${post.id}/`);
      }
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new HttpResponseNotAllowed(['GET', 'HEAD', 'POST']);
    }
    return page(
      request,
      'post_form.html',
      { form, errors },
      { status: Object.keys(errors).length ? 400 : 200 },
    );
  });

  /**
   * The comments of a post: a plain GET answers JSON (`?since=<id>` only newer ones); a GET that
   * accepts `text/event-stream` gets an event stream (one event per new comment, its id the comment's,
   * the missed ones first after `Last-Event-ID` or `?since=`); a POST adds one (JSON in, JSON out, CSRF
   * header required); and a WebSocket, or its fallbacks for browsers that can't open one (SSE or long
   * polling, through `@manouche/client`), gets every new comment pushed as JSON.
   */
  const comments = acceptWebsocket({ fallback: ['sse', 'longpoll'] })(async (
    request: HttpRequest,
    { id }: { id: number },
  ) => {
    const ws = request.websocket;
    if (ws !== null) return streamComments(ws, id, request);
    const post = getPostOr404(id);
    if (request.method === 'GET' && wantsEventStream(request)) {
      const since = eventStreamStart(request);
      return new EventStreamResponse(
        blog.comments.events(post.id, since, (after) => models.listComments(post.id, after)),
      );
    }
    if (request.method === 'GET' || request.method === 'HEAD') {
      return new JsonResponse(models.listComments(post.id, sinceParam(request)), {
        headers: { 'Cache-Control': 'no-store' },
      });
    }
    if (request.method === 'POST') {
      const input =
        request.contentType === 'application/json'
          ? (request.json() as Record<string, unknown> | null)
          : { author: field(request, 'author'), body: field(request, 'body') };
      const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
      const result = addComment(request, post, { author: text(input?.author), body: text(input?.body) });
      if ('id' in result) return new JsonResponse(result, { status: 201 });
      return new JsonResponse({ errors: result }, { status: 400 });
    }
    return new HttpResponseNotAllowed(['GET', 'HEAD', 'POST']);
  });

  async function streamComments(ws: WebSocketConnection, id: number, request: HttpRequest): Promise<void> {
    // The handshake is done by now, so a missing post can only be told with a close code.
    if (models.getPost(id) === null) return ws.close(CLOSE_NO_SUCH_POST, 'no such post');
    const since = request.GET.get('since');
    await blog.comments.register(id, ws);
    try {
      // Registered first, then the backlog: a comment added in between is sent twice at worst, and
      // the client skips ids it already has.
      if (since !== null && /^\d{1,15}$/.test(since)) {
        for (const comment of models.listComments(id, Number(since))) await ws.send(JSON.stringify(comment));
      }
      for await (const _message of ws) {
        // Comments are added over HTTP (with the CSRF token); messages from the client are ignored.
      }
    } finally {
      await blog.comments.unregister(id, ws);
    }
  }

  /**
   * A chat room per post: messages go to everyone in it (on every server process, through the channel
   * layer), with the room's presence list (every process's readers) on join/leave.
   */
  const chat = requireWebsocket({ fallback: ['sse', 'longpoll'] })(async (
    request: HttpRequest,
    { id }: { id: number },
  ) => {
    const ws = request.websocket!;
    if (models.getPost(id) === null) return ws.close(CLOSE_NO_SUCH_POST, 'no such post');
    const name = request.user.isAuthenticated ? request.user.username : blog.chat.guestName();
    const member = await blog.chat.join(id, ws, name);
    try {
      for await (const message of ws) {
        if (typeof message !== 'string') continue;
        const text = chatText(message).slice(0, CHAT_MAX_LENGTH);
        if (text !== '') await blog.chat.say(id, name, text);
      }
    } finally {
      blog.chat.leave(id, member);
    }
  });

  /** Django's `LoginView`, in small: the credentials go to `authenticate()`, then `login()`. */
  async function loginView(request: HttpRequest): Promise<HttpResponse> {
    // Checked when redirecting (loginRedirectUrl keeps to this site); here only carried in the form.
    const next = request.POST.get('next') ?? request.GET.get('next') ?? '';
    let error = '';
    let username = '';
    if (request.method === 'POST') {
      username = field(request, 'username');
      const user = await authenticate(request, { username, password: request.POST.get('password') ?? '' });
      if (user !== null) {
        login(request, user);
        messages.success(request, `Welcome back, ${user.username}.`);
        return new HttpResponseRedirect(loginRedirectUrl(request));
      }
      error = 'Please enter a correct username and password.';
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new HttpResponseNotAllowed(['GET', 'HEAD', 'POST']);
    }
    return page(request, 'login.html', { next, error, username }, { status: error ? 400 : 200 });
  }

  /** Logging out is a POST (a GET could be triggered by any page); GET shows a confirmation form. */
  function logoutView(request: HttpRequest): HttpResponse {
    if (request.method === 'POST') {
      logout(request);
      messages.info(request, 'You are logged out.');
      return new HttpResponseRedirect(logoutRedirectUrl(request) ?? '/');
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return new HttpResponseNotAllowed(['GET', 'POST']);
    return page(request, 'logout.html');
  }

  return [
    path('', postList, { name: 'post-list' }),
    path('posts/new/', newPost, { name: 'post-new' }),
    path('posts/<int:id>/', postDetail, { name: 'post-detail' }),
    path('posts/<int:id>/comments/', comments, { name: 'post-comments' }),
    path('posts/<int:id>/chat/', chat, { name: 'post-chat' }),
    path('login/', loginView, { name: 'login' }),
    path('logout/', logoutView, { name: 'logout' }),
    // @manouche/client's browser build, served as it ships (no copy to keep in step).
    path('static/client/<path:file>', serveStatic(CLIENT_ROOT), { name: 'static-client' }),
    path('static/<path:file>', serveStatic(), { name: 'static' }),
  ];
}

/** A chat message is plain text, or JSON `{ "text": "..." }`. */
function chatText(message: string): string {
  if (message.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(message);
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        typeof (parsed as { text?: unknown }).text === 'string'
      ) {
        return (parsed as { text: string }).text.trim();
      }
    } catch {
      // not JSON: plain text that starts with a brace
    }
  }
  return message.trim();
}
