import type { Application } from '@manouche/core';
import type { ChannelLayer } from './channel-layer';
import { InMemoryChannelLayer } from './memory';

const defaults = new WeakMap<object, ChannelLayer>();

/**
 * The application's channel layer: `settings.CHANNEL_LAYER` when set (a `RedisChannelLayer` to
 * scale out), else one in-memory layer per application.
 */
export function getChannelLayer(app: Pick<Application, 'settings'>): ChannelLayer {
  const configured = app.settings.CHANNEL_LAYER as ChannelLayer | undefined;
  if (configured) return configured;
  let layer = defaults.get(app);
  if (layer === undefined) {
    layer = new InMemoryChannelLayer();
    defaults.set(app, layer);
  }
  return layer;
}

export { InMemoryChannelLayer, type InMemoryChannelLayerOptions } from './memory';
export { RedisChannelLayer, type RedisChannelLayerOptions } from './redis';
export type {
  ChannelLayer,
  GroupMember,
  PresenceEvent,
  PresenceInfo,
  PresenceListener,
  PresentMember,
} from './channel-layer';
