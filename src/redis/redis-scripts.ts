import type { Redis } from 'ioredis';
import type { RevocationKind } from '../revocation/revocation-set.js';

/**
 * Where the store keeps what, under its `keyPrefix`:
 * - `rev:j:<jti>`, `rev:f:<family>`, `rev:u:<sub>`: one key per revocation, expiring with its
 *   token (`u:` holds the logout-all cut-off);
 * - `rot:<family>`: each login's live refresh token id (one record per login, replaced on refresh);
 * - `log`: the ordered, replayable log of revocations (a stream, trimmed to about `streamMaxLength`),
 *   each entry numbered by `seq` so a reader can tell that it missed some.
 */
export class RedisKeys {
  /** The revocation log (a Redis stream). */
  readonly log: string;
  /** The counter that numbers the log's entries. */
  readonly seq: string;
  /** A SCAN pattern matching every revocation key, and nothing else of ours. */
  readonly pattern: string;
  /** How many characters precede `j:`/`f:`/`u:` in a revocation key. */
  readonly entryOffset: number;

  constructor(private readonly prefix: string) {
    this.log = `${prefix}log`;
    this.seq = `${prefix}seq`;
    this.pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}rev:*`;
    this.entryOffset = `${prefix}rev:`.length;
  }

  /** The key of one revocation. */
  entry(kind: RevocationKind, id: string): string {
    return `${this.prefix}rev:${KIND_CODES[kind]}:${id}`;
  }

  /** The key of a login's refresh record. */
  rotation(family: string): string {
    return `${this.prefix}rot:${family}`;
  }
}

/** The one-letter code of each kind, in keys and in log entries. */
export const KIND_CODES: Readonly<Record<RevocationKind, string>> = { jti: 'j', family: 'f', user: 'u' };

/** The kind a one-letter code names. */
export const KINDS: Readonly<Record<string, RevocationKind | undefined>> = { j: 'jti', f: 'family', u: 'user' };

/**
 * Writes a revocation key and appends it to the log, in one step (a script runs atomically):
 * no reader can see one without the other. Keeps the later expiry; a user's cut-offs (ARGV[4],
 * in `encodeCutoff`'s form) combine as `mergeCutoffs` does, and the log carries the result.
 */
const REVOKE = `
local function decode(text)
  local c, x, f = string.match(text, '^(%d+) (%d+) (.*)$')
  if c == nil then c = tonumber(text) or 0 else c = tonumber(c); x = tonumber(x) end
  if c > 0 and c < 1e11 then c = c * 1000 + 999 end
  if x ~= nil and x > 0 and x < 1e11 then x = x * 1000 + 999 end
  return c, x, f
end
local exp = tonumber(ARGV[3])
local cutoff = ARGV[4]
local previous = redis.call('EXPIRETIME', KEYS[1])
if previous > exp then exp = previous end
if ARGV[1] == 'u' then
  local c, x, f = decode(ARGV[4])
  local old = redis.call('GET', KEYS[1])
  if old then
    local pc, px, pf = decode(old)
    local family = f
    if pf ~= nil and (f == nil or pf == f or pc > c) then family = pf end
    local merged = math.max(c, pc)
    if family ~= nil then
      local mine = c
      if f == family then mine = x end
      local theirs = pc
      if pf == family then theirs = px end
      x = math.max(mine, theirs)
      f = family
      if x >= merged then f = nil end
    end
    c = merged
  end
  cutoff = string.format('%.0f', c)
  if f ~= nil then cutoff = cutoff .. ' ' .. string.format('%.0f', x) .. ' ' .. f end
  redis.call('SET', KEYS[1], cutoff, 'EXAT', exp)
else
  redis.call('SET', KEYS[1], '1', 'EXAT', exp)
end
local seq = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'k', ARGV[1], 'i', ARGV[2], 'e', exp, 'c', cutoff, 's', seq)
return seq`;

/** Compare-and-set of a login's refresh record: 1 when rotated, 0 when `current` is not the live one. */
const ROTATE = `
local live = redis.call('GET', KEYS[1])
if live and live ~= ARGV[1] then return 0 end
local exp = math.max(tonumber(ARGV[3]), redis.call('EXPIRETIME', KEYS[1]))
redis.call('SET', KEYS[1], ARGV[2], 'EXAT', exp)
return 1`;

/** The log's last entry id and number, read together (or '0-0' and the counter when it is empty). */
const HEAD = `#!lua flags=no-writes
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last == 0 then return {'0-0', redis.call('GET', KEYS[2]) or '0'} end
local fields = last[1][2]
for i = 1, #fields, 2 do
  if fields[i] == 's' then return {last[1][1], fields[i + 1]} end
end
return {last[1][1], redis.call('GET', KEYS[2]) or '0'}`;

/**
 * One SCAN page of revocation keys with their expiry and value, in one round trip:
 * {cursor, code:id, expiresAt, value, ...}.
 */
const SCAN_PAGE = `#!lua flags=no-writes
local page = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
local out = {page[1]}
local skip = tonumber(ARGV[4])
for _, key in ipairs(page[2]) do
  local at = redis.call('EXPIRETIME', key)
  if at > 0 then
    local entry = string.sub(key, skip + 1)
    out[#out + 1] = entry
    out[#out + 1] = at
    if string.sub(entry, 1, 2) == 'u:' then out[#out + 1] = redis.call('GET', key) or '0' else out[#out + 1] = '1' end
  end
end
return out`;

/**
 * The store's scripts, as ioredis commands (`defineCommand`: EVALSHA, loaded on first use). The
 * read-only ones say so (`flags=no-writes`, Redis 7), so `CLIENT PAUSE WRITE` does not stall a reload.
 */
export interface WardenCommands {
  wardenRevoke(
    entry: string,
    log: string,
    seq: string,
    code: string,
    id: string,
    exp: number,
    cutoff: string,
    maxLength: number,
  ): Promise<number>;
  wardenRotate(key: string, current: string, next: string, exp: number): Promise<number>;
  wardenHead(log: string, seq: string): Promise<[string, string]>;
  wardenScan(cursor: string, pattern: string, count: number, skip: number): Promise<Array<string | number>>;
}

/** An ioredis client that has the store's scripts. */
export type WardenRedis = Redis & WardenCommands;

/** Defines the store's scripts on `redis` (idempotent) and returns it, typed with them. */
export function withScripts(redis: Redis): WardenRedis {
  redis.defineCommand('wardenRevoke', { numberOfKeys: 3, lua: REVOKE });
  redis.defineCommand('wardenRotate', { numberOfKeys: 1, lua: ROTATE });
  redis.defineCommand('wardenHead', { numberOfKeys: 2, lua: HEAD, readOnly: true });
  redis.defineCommand('wardenScan', { numberOfKeys: 0, lua: SCAN_PAGE, readOnly: true });
  return redis as WardenRedis;
}
