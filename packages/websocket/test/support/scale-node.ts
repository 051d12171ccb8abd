/**
 * One application process of the scale-out tests (run with tsx on the sources): a room per URL on a
 * `RedisChannelLayer`, listening on a free port of 127.0.0.1, which it prints as one JSON line.
 *
 * - `ws /rooms/<name>/?user=<u>` joins the group with `{ user }`, first sends `{"channelName": ...}`,
 *   then relays: a JSON `{ "to": name, "text": t }` is sent to that channel, anything else to the room;
 * - `GET /members/<name>/` answers the group's members as JSON; `GET /burst/<name>/<n>/` sends the
 *   room `0` .. `n-1` one after the other (awaiting each), yielding to the loop now and then.
 */
import { createApp, HttpResponse, path, type Application, type HttpRequest } from '@manouche/core';
import {
  acceptWebsocket,
  getChannelLayer,
  RedisChannelLayer,
  WebSocketMiddleware,
} from '@manouche/websocket';

const layer = new RedisChannelLayer({
  url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: process.env.PREFIX!,
  presenceTtl: Number(process.env.PRESENCE_TTL ?? 1500),
  redis: { retryStrategy: () => 50 },
  logger: { warn: (line: string) => process.stderr.write(`${line}\n`) },
});

const room = acceptWebsocket(async (request: HttpRequest, { name }: { name: string }) => {
  const ws = request.websocket;
  if (ws === null) return new HttpResponse('WebSocket only');
  const channels = getChannelLayer(request.app as Application);
  await channels.groupAdd(name, ws, { user: request.GET.get('user') ?? 'anonymous' });
  await ws.send(JSON.stringify({ channelName: ws.channelName }));
  for await (const message of ws) {
    const text = String(message);
    if (text.startsWith('{')) {
      const { to, text: body } = JSON.parse(text) as { to: string; text: string };
      await channels.send(to, body);
    } else {
      await channels.groupSend(name, message);
    }
  }
});

const members = async (request: HttpRequest, { name }: { name: string }): Promise<HttpResponse> => {
  const present = await getChannelLayer(request.app as Application).groupMembers(name);
  return new HttpResponse(JSON.stringify(present), { contentType: 'application/json' });
};

const burst = async (request: HttpRequest, { name, count }: { name: string; count: number }) => {
  const channels = getChannelLayer(request.app as Application);
  for (let index = 0; index < count; index++) {
    await channels.groupSend(name, String(index));
    if (index % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return new HttpResponse('sent');
};

const app = createApp({
  ROOT_URLCONF: [
    path('rooms/<str:name>/', room),
    path('members/<str:name>/', members),
    path('burst/<str:name>/<int:count>/', burst),
  ],
  MIDDLEWARE: [WebSocketMiddleware],
  CHANNEL_LAYER: layer,
  ALLOWED_HOSTS: ['127.0.0.1'],
  LOGGER: { info() {}, warn() {}, error() {} },
});

void app.listen(0).then((server) => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.on('SIGTERM', () => {
  void Promise.allSettled([app.close(), layer.close()]).then(() => process.exit(0));
});
