-- Prepend: protocol.lua audit_record.lua
-- Moves dead letters back into the inbox as new entries, each atomically: the original fields are
-- appended to the inbox (the dlq_ fields dropped) and the dead letter deleted. A new entry starts
-- with a delivery counter of 1.
-- The target is the inbox band of the message's priority (band_stream of protocol.lua; normal if
-- absent or unreadable); a topic passes its stream as all three.
-- KEYS[1] dead letters (agent:{id}:dlq)   KEYS[2..4] high, normal, low target streams
-- KEYS[5] audit shard   KEYS[6] counters (agent:{id}:counters)
-- ARGV[1] audit cap (0: no audit)   ARGV[2..] dead-letter entry ids
-- Returns how many were moved.
-- band_stream comes from protocol.lua and audit(key, cap, event, fields, meta) from audit_record.lua,
-- both prepended by LuaScript.
-- Fails, having written nothing, when a key holds the wrong type: the dead letters stay. A dead letter
-- too wide to pass its fields as one command's arguments (over 1,000 fields) stays too, uncounted.
-- Minimum server: Redis 5.0 for its commands (XRANGE, XADD, XDEL); the bus requires 6.2.
local invalid = check_integers('redrive.lua', {{'the audit cap (ARGV[1])', ARGV[1], 0}})
if invalid then
  return invalid
end
local wrong = check_types({[KEYS[1]] = 'stream', [KEYS[2]] = 'stream', [KEYS[3]] = 'stream', [KEYS[4]] = 'stream',
  [KEYS[5]] = 'stream', [KEYS[6]] = 'hash'}, 'the dead letters stay in ' .. KEYS[1])
if wrong then
  return wrong
end
local moved = 0
for i = 2, #ARGV do
  local entry = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if #entry > 0 then
    local original = {}
    local target = KEYS[3]
    local fields = entry[1][2]
    for j = 1, #fields, 2 do
      if string.sub(fields[j], 1, 4) ~= 'dlq_' then
        original[#original + 1] = fields[j]
        original[#original + 1] = fields[j + 1]
        if fields[j] == 'priority' then
          target = band_stream(fields[j + 1], KEYS[2], target, KEYS[4])
        end
      end
    end
    if #original <= 2 * MAX_FIELDS then
      if #original > 0 then
        local id = redis.call('XADD', target, '*', unpack(original))
        audit(KEYS[5], ARGV[1], 'redriven', original, {'audit_stream', target, 'audit_entry_id', id})
      end
      redis.call('XDEL', KEYS[1], ARGV[i])
      moved = moved + 1
    end
  end
end
if moved > 0 then
  redis.call('HINCRBY', KEYS[6], 'redriven', moved)
end
return moved
