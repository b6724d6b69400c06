-- Prepend: protocol.lua
-- Keeps the live-agents index: marks an agent live until an expiry, and sweeps agents whose last
-- heartbeat expired. Any running bus runs it with its heartbeats, so leaves are noticed without a
-- separate cron.
-- KEYS[1] live index (agents:live, agent id -> expiry ms)   ARGV[1] agent id ('' to only sweep)
-- ARGV[2] presence TTL (ms), counted on the server's clock
-- Returns {1 if the agent just joined else 0, {ids that left}}.
-- Fails, having written nothing, on a TTL that is not an integer >= 1 or an index of another type
-- (check_types of protocol.lua). Redis does not roll back a script that fails half-way: a sweep that
-- removed the expired agents and then failed would return no reply, and their leaves would never be
-- announced; so the checks come first.
-- Minimum server: Redis 6.2 (ZADD GT); TIME before writes needs effects replication (5.0+).
if #ARGV ~= 2 then
  return redis.error_reply('ERR presence.lua: takes an agent id and a TTL, was given ' .. #ARGV
    .. ' arguments; nothing was written')
end
local wrong = check_integers('presence.lua', {{'the presence TTL (ARGV[2], ms)', ARGV[2], 1}})
  or check_types({[KEYS[1]] = 'zset'}, 'no agent was marked live or swept')
if wrong then
  return wrong
end
redis.replicate_commands()
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local left = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if #left > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
end
local joined = 0
if ARGV[1] ~= '' then
  if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false then
    joined = 1
  end
  -- GT: a later expiry from another instance is never shortened; a missing member is added.
  redis.call('ZADD', KEYS[1], 'GT', now_ms + tonumber(ARGV[2]), ARGV[1])
end
local gone = {}
for _, id in ipairs(left) do
  if id ~= ARGV[1] then
    gone[#gone + 1] = id
  end
end
return {joined, gone}
