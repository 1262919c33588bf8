#!lua flags=no-writes
-- What the alarm rules may act on in one area, in one call: of the units, only those on scene or
-- unresponsive (the only statuses a unit rule looks at); of the open incidents, only those that
-- may have come due (a `new` one untouched since before ARGV[1], a `pending` one received before
-- ARGV[2]) and those named by ARGV[3] or by a unit on scene. The rules themselves decide, in
-- Python: this only leaves out what cannot match, so a scan's reply grows with what is alarming
-- rather than with everything open. Reads only.
-- KEYS[1] unit status hash     cad:{area}:unit:status
-- KEYS[2] unit since hash      cad:{area}:unit:since
-- KEYS[3] unit incident hash   cad:{area}:unit:incident
-- KEYS[4..] incident hashes    cad:{area}:incident:{ref}, one for each open incident's ref below
-- ARGV[1] a `new` incident last touched (created or status changed) before this (ms) is returned
-- ARGV[2] a `pending` incident received before this (ms) is returned
-- ARGV[3] refs returned whatever their state, comma-separated ('' for none)
-- ARGV[4..] the refs, in the order of KEYS[4..]
-- returns {units, incidents}: units flat, four entries a unit (callsign, status, since_ms,
--         incident ref); incidents flat, eight entries an incident (ref, status, grade,
--         incident_type, received_ms, created_ms, status_ms, units); '' where the hash holds
--         nothing
local statuses = redis.call('HGETALL', KEYS[1])
local units, named = {}, {}
local callsigns, their = {}, {}
for i = 1, #statuses, 2 do
  local status = statuses[i + 1]
  if status == 'on_scene' or status == 'unresponsive' then
    callsigns[#callsigns + 1] = statuses[i]
    their[#their + 1] = status
  end
end
-- One HGET each rather than one HMGET for all: unpack() of a long list overflows Lua's stack,
-- and units on scene are few beside the fleet.
for i, callsign in ipairs(callsigns) do
  local ref = redis.call('HGET', KEYS[3], callsign) or ''
  units[#units + 1] = callsign
  units[#units + 1] = their[i]
  units[#units + 1] = redis.call('HGET', KEYS[2], callsign) or ''
  units[#units + 1] = ref
  if their[i] == 'on_scene' and ref ~= '' then named[ref] = true end
end
for ref in string.gmatch(ARGV[3], '[^,]+') do named[ref] = true end
local new_before, pending_before = tonumber(ARGV[1]), tonumber(ARGV[2])
local incidents = {}
for i = 4, #KEYS do
  local ref = ARGV[i]
  local f = redis.call('HMGET', KEYS[i], 'status', 'grade', 'incident_type', 'received_ms',
    'created_ms', 'status_ms', 'units')
  local status = f[1]
  if status then
    local touched = math.max(tonumber(f[5]) or 0, tonumber(f[6]) or 0)
    local due = (status == 'new' and touched < new_before)
      or (status == 'pending' and (tonumber(f[4]) or 0) < pending_before)
    if due or named[ref] then
      incidents[#incidents + 1] = ref
      for k = 1, 7 do
        incidents[#incidents + 1] = f[k] or ''
      end
    end
  end
end
return {units, incidents}
