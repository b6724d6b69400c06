-- Keeps the live-agents index: marks an agent live until an expiry, and sweeps agents whose last
-- heartbeat expired. Any running bus runs it with its heartbeats, so leaves are noticed without a
-- separate cron.
-- KEYS[1] live index (agents:live, agent id -> expiry ms)   ARGV[1] agent id ('' to only sweep)
-- ARGV[2] presence TTL (ms), counted on the server's clock
-- Returns {1 if the agent just joined else 0, {ids that left}}.
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
