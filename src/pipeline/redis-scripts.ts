// The Lua scripts RedisStreamsBus runs (atomic publish-with-bound, priority read, claim, ack-and-trim,
// backlog), each loaded once per connection and called by its SHA.
import { createHash } from "node:crypto";

/** A Lua script run by EVALSHA, loaded once per connection (with EVAL as the fallback). */
export class Script {
  readonly sha: string;
  constructor(readonly body: string) {
    this.sha = createHash("sha1").update(body).digest("hex");
  }
}

// Adds an entry with the field/value pairs ARGV[2 …] unless the stream already holds ARGV[1] entries
// (0: no bound). Nil means "full, retry".
export const PUBLISH = new Script(`
local max = tonumber(ARGV[1])
if max > 0 and redis.call('XLEN', KEYS[1]) >= max then return false end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))`);

// XREADGROUP's COUNT bounds each stream, not the reply, so the streams are read one after the other
// for what is left of the count: earlier streams first, and no more entries pending than returned.
// Replies flat triples (stream index, id, fields).
export const READ = new Script(`
local left = tonumber(ARGV[3])
local out = {}
for i, key in ipairs(KEYS) do
  if left <= 0 then break end
  local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', left, 'STREAMS', key, '>')
  if reply then
    for _, entry in ipairs(reply[1][2]) do
      out[#out + 1] = i
      out[#out + 1] = entry[1]
      out[#out + 1] = entry[2]
      left = left - 1
    end
  end
end
return out`);

// XAUTOCLAIM looks at no more than 10 × COUNT pending entries per call, so the cursor is followed
// until the pending list is walked or enough are claimed. Replies flat triples (id, fields, deliveries).
export const CLAIM = new Script(`
local want = tonumber(ARGV[4])
local out = {}
local got = 0
local cursor = '0-0'
repeat
  local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor, 'COUNT', want - got)
  cursor = reply[1]
  for _, entry in ipairs(reply[2]) do
    if entry[2] then
      local pending = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
      out[#out + 1] = entry[1]
      out[#out + 1] = entry[2]
      out[#out + 1] = pending[1][4]
      got = got + 1
    end
  end
until cursor == '0-0' or got >= want
return out`);

const GROUP_FIELDS = `
local function fields(g)
  local f = {}
  for j = 1, #g, 2 do f[g[j]] = g[j + 1] end
  return f
end`;

// Acks, then trims what every group is done with: XTRIM MINID to the smallest id some group still
// needs, which is its oldest pending entry or else the entry after its last delivered one. A stream
// with no group keeps everything. Ids compare as decimal strings, exact beyond 2^53.
export const ACK = new Script(`${GROUP_FIELDS}
local function split(id)
  local dash = string.find(id, '-', 1, true)
  return string.sub(id, 1, dash - 1), string.sub(id, dash + 1)
end
local function less(a, b)
  local am, as = split(a)
  local bm, bs = split(b)
  if am ~= bm then
    if #am ~= #bm then return #am < #bm end
    return am < bm
  end
  if #as ~= #bs then return #as < #bs end
  return as < bs
end
local function after(id)
  local ms, seq = split(id)
  if #seq > 15 then return id end
  return ms .. '-' .. string.format('%d', tonumber(seq) + 1)
end
local acked = 0
for i = 2, #ARGV, 1000 do
  acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if acked == 0 then return 0 end
local keep = nil
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local f = fields(g)
  local need
  if f['pending'] > 0 then
    need = redis.call('XPENDING', KEYS[1], f['name'])[2]
  else
    need = after(f['last-delivered-id'])
  end
  if keep == nil or less(need, keep) then keep = need end
end
if keep then redis.call('XTRIM', KEYS[1], 'MINID', keep) end
return acked`);

// Pending plus lag (Redis 7). Lag is nil after an XDEL in the unread range (and absent before 7.0):
// then the unread entries are counted. A group not created yet would start at the oldest entry held.
export const BACKLOG = new Script(`${GROUP_FIELDS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local f = fields(g)
  if f['name'] == ARGV[1] then
    local lag = f['lag']
    if not lag then lag = #redis.call('XRANGE', KEYS[1], '(' .. f['last-delivered-id'], '+') end
    return f['pending'] + lag
  end
end
return redis.call('XLEN', KEYS[1])`);

export const SCRIPTS = [PUBLISH, READ, CLAIM, ACK, BACKLOG];
