-- The protocol facts that the scripts share with the Java code (docs/PROTOCOL.md). LuaScript prepends
-- this file to every script, since Redis 6.2 scripts cannot include one another; ProtocolLuaTest
-- fails when these values and their Java copies (WireFields, PriorityBand) disagree.
-- The fields an audit record copies from a message, in the order ack.lua takes their values.
-- KEYS, ARGV: none of its own: it defines AUDITED_FIELDS, HIGH_BAND_LOWEST, LOW_BAND_HIGHEST, MAX_FIELDS
-- and the functions band_stream, check_types, entry_bytes and check_integers, used by the script after it.
-- Returns nothing; check_types and check_integers return an error reply (WRONGTYPE ..., ERR <script>: ...)
-- for the caller to return before its first write, or nil.
-- Minimum server: any with TYPE and Lua scripting; the bus requires 6.2 (RedisVersion).
local AUDITED_FIELDS = {'message_id', 'from_agent', 'to_agent', 'message_type', 'priority', 'conversation_id',
  'correlation_id'}
-- The inbox bands: priorities from HIGH_BAND_LOWEST up go to the high band, those up to
-- LOW_BAND_HIGHEST to the low band, the others to the normal band.
local HIGH_BAND_LOWEST = 7
local LOW_BAND_HIGHEST = 3
-- The most field/value pairs a script passes to one command (an XADD of an entry): Lua's unpack, and
-- so a command's arguments, stops near 8,000 values. A wider entry is refused or stored otherwise.
local MAX_FIELDS = 1000
-- The stream a message of priority (its wire value) goes to: high or low by its band, else other (the
-- normal band's stream, which the callers also take for an absent priority or one that is not a number).
local function band_stream(priority, high, other, low)
  local value = tonumber(priority)
  if value and value >= HIGH_BAND_LOWEST then
    return high
  elseif value and value <= LOW_BAND_HIGHEST then
    return low
  end
  return other
end
-- Redis does not roll back a script that fails half-way: a script that writes calls this before its
-- first write, with each key it will write and the type it needs there ('none', absent, is fine: the
-- write creates it). It returns an error reply naming the first key of another type, or nil.
local function check_types(expected, consequence)
  for key, kind in pairs(expected) do
    local actual = redis.call('TYPE', key)['ok']
    if actual ~= 'none' and actual ~= kind then
      return redis.error_reply('WRONGTYPE ' .. key .. ' is a ' .. actual .. ', not a ' .. kind .. ': '
        .. consequence)
    end
  end
  return nil
end
-- The size of a stream entry's fields ({field, value, ...}) in bytes: what a reader must hold for it.
local function entry_bytes(fields)
  local size = 0
  for _, part in ipairs(fields) do
    size = size + #part
  end
  return size
end
-- Redis does not roll back a script that fails half-way, so a script also checks its numeric
-- arguments before its first write: checks is a list of {what, value, lowest} (lowest nil: no
-- bound). It returns an error reply naming the script, the argument and the value of the first that
-- is not a decimal integer from its lowest, or nil.
local function check_integers(script, checks)
  for _, check in ipairs(checks) do
    local what, value, lowest = check[1], check[2], check[3]
    local number = nil
    if type(value) == 'string' and string.match(value, '^%-?%d+$') then
      number = tonumber(value)
    end
    if number == nil or (lowest ~= nil and number < lowest) then
      local rule = 'an integer'
      if lowest ~= nil then
        rule = 'an integer >= ' .. lowest
      end
      return redis.error_reply('ERR ' .. script .. ': ' .. what .. ' must be ' .. rule .. ', was '
        .. (value == nil and 'missing' or string.sub(tostring(value), 1, 100)) .. '; nothing was written')
    end
  end
  return nil
end
