import fc from './support/fast-check';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { InMemoryChannelLayer, RedisChannelLayer, type GroupMember, type Message } from '@manouche/websocket';
import { until } from './support/serve';

// Generated input through the channel layers: whatever a sender passes, nothing throws, nothing is
// lost or altered on the way, and what cannot be delivered is counted.

function recorder(): GroupMember & { received: Message[] } {
  const received: Message[] = [];
  return {
    received,
    send: async (data) => void received.push(data),
    ended: new Promise<void>(() => undefined),
  };
}

describe('channel layers under generated input', () => {
  it('send() to any string that names no open connection resolves and is counted, on both layers', async () => {
    const prefix = `manouche-test-${randomUUID()}`;
    const layers = [new InMemoryChannelLayer(), new RedisChannelLayer({ prefix })];
    try {
      await fc.assert(
        fc.asyncProperty(fc.string(), fc.string(), async (channelName, text) => {
          for (const layer of layers) {
            const before = layer.droppedSends;
            await expect(layer.send(channelName, text)).resolves.toBeUndefined();
            // A name of another process that Redis does not know is dropped by the sender too.
            expect(layer.droppedSends).toBe(before + 1);
          }
        }),
        { numRuns: 100 },
      );
    } finally {
      await Promise.all(layers.map((layer) => layer.close()));
    }
  });

  it('group messages cross Redis unchanged and in order: text as text, bytes as bytes', async () => {
    const prefix = `manouche-test-${randomUUID()}`;
    const [reader, sender] = [
      new RedisChannelLayer({ prefix, capacity: 10_000 }),
      new RedisChannelLayer({ prefix }),
    ];
    const member = recorder();
    const message = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    );
    try {
      await reader.groupAdd('generated', member);
      await fc.assert(
        fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 20 }), async (messages) => {
          member.received.length = 0;
          for (const sent of messages) await sender.groupSend('generated', sent);
          await until(() => member.received.length === messages.length);
          expect(member.received).toEqual(messages);
        }),
        { numRuns: 50 },
      );
    } finally {
      await Promise.all([reader.close(), sender.close()]);
      const admin = new Redis('redis://127.0.0.1:6379');
      const keys = await admin.keys(`${prefix}:*`);
      if (keys.length > 0) await admin.del(...keys);
      admin.disconnect();
    }
  });
});
