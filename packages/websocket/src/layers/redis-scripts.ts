/**
 * The Lua scripts of `RedisChannelLayer`: each step that touches several keys runs as one script, so
 * it is atomic and costs one round trip.
 *
 * Keys, all under the layer's prefix P:
 * - `P:stream:<group>`, `P:seq:<group>`: the group's stream of messages and presence events, and the
 *   counter numbering them (field `n`), so a reader can tell a gap from a quiet spell;
 * - `P:inbox:<process>`, `P:inbox-seq:<process>`: the same for sends to one connection of a process;
 * - `P:alive:<process>`: present while the process heartbeats (expires after the presence TTL), and
 *   `P:layer:<process>-<layer>`, the same per layer: found missing, the layer records its members again;
 * - `P:presence:<group>`: a hash from channel name to `<process> <member JSON>`.
 *
 * Every append trims its stream to the replay window (by time, with `MINID`, from Redis's clock) and
 * to its capacity (`MAXLEN`), and makes the stream, its counter and the presence hash expire once the
 * group has been quiet for a while, so abandoned groups leave nothing behind.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A script run with EVALSHA, loaded with EVAL the first time a server does not know it. */
export class RedisScript {
  readonly #lua: string;
  readonly #sha: string;

  constructor(lua: string) {
    this.#lua = lua;
    this.#sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(
    client: Redis,
    keys: readonly string[],
    args: readonly (string | number | Buffer)[],
  ): Promise<unknown> {
    try {
      return await client.call('EVALSHA', this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.call('EVAL', this.#lua, keys.length, ...keys, ...args);
    }
  }
}

// Appends one entry to the stream KEYS[s] numbered by the counter KEYS[s + 1]; ARGV[1] is the replay
// window (ms), ARGV[2] the stream capacity, ARGV[3] how long (ms) a quiet group's keys live on.
const APPEND = `
local function append(stream, seq, ...)
  local n = redis.call('INCR', seq)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local id = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[2], '*', 'n', n, ...)
  redis.call('XTRIM', stream, 'MINID', '~', tostring(now - tonumber(ARGV[1])))
  redis.call('PEXPIRE', stream, ARGV[3])
  redis.call('PEXPIRE', seq, ARGV[3])
  return id
end
local function tail(stream, seq)
  local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)
  local id = '0-0'
  if last[1] then id = last[1][1] end
  return {id, redis.call('GET', seq) or '0'}
end
`;

/** KEYS stream, seq; ARGV window, capacity, keep, kind, data. A group message. */
export const PUBLISH = new RedisScript(`${APPEND}
append(KEYS[1], KEYS[2], 'k', ARGV[4], 'd', ARGV[5])
return 1`);

/**
 * KEYS alive, inbox, inbox-seq; ARGV window, capacity, keep, kind, data, channel name. A message to
 * one connection, appended to its process's inbox if that process is alive: 1, else 0 (dropped).
 */
export const SEND = new RedisScript(`${APPEND}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
append(KEYS[2], KEYS[3], 'k', ARGV[4], 'to', ARGV[6], 'd', ARGV[5])
return 1`);

/** KEYS stream, seq: where a reader starts, `[last id, last number]`. */
export const TAIL = new RedisScript(`${APPEND}
return tail(KEYS[1], KEYS[2])`);

/**
 * KEYS presence, stream, seq; ARGV window, capacity, keep, channel name, `<process> <member JSON>`,
 * member JSON. Records the member (a join event if it is new); returns the stream's tail before it.
 */
export const JOIN = new RedisScript(`${APPEND}
local start = tail(KEYS[2], KEYS[3])
if redis.call('HSET', KEYS[1], ARGV[4], ARGV[5]) == 1 then
  append(KEYS[2], KEYS[3], 'k', 'j', 'd', ARGV[6])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return start`);

/** KEYS presence, stream, seq; ARGV window, capacity, keep, channel name. A leave event if it was there. */
export const LEAVE = new RedisScript(`${APPEND}
local entry = redis.call('HGET', KEYS[1], ARGV[4])
if not entry then return 0 end
redis.call('HDEL', KEYS[1], ARGV[4])
append(KEYS[2], KEYS[3], 'k', 'l', 'd', string.sub(entry, string.find(entry, ' ', 1, true) + 1))
return 1`);

/**
 * KEYS presence, stream, seq; ARGV window, capacity, keep, prefix of the alive keys. The members whose
 * process is alive, as member JSON; the others are removed, each with a leave event. A hash with
 * live members is kept from expiring (the heartbeats' sweeps call this often enough).
 */
export const MEMBERS = new RedisScript(`${APPEND}
local all = redis.call('HGETALL', KEYS[1])
local alive = {}
local present = {}
for i = 1, #all, 2 do
  local entry = all[i + 1]
  local space = string.find(entry, ' ', 1, true)
  local process = string.sub(entry, 1, space - 1)
  if alive[process] == nil then alive[process] = redis.call('EXISTS', ARGV[4] .. process) == 1 end
  local member = string.sub(entry, space + 1)
  if alive[process] then
    present[#present + 1] = member
  else
    redis.call('HDEL', KEYS[1], all[i])
    append(KEYS[2], KEYS[3], 'k', 'l', 'd', member)
  end
end
if #present > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return present`);
