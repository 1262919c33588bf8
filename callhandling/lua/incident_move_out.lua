-- Step 1 of moving an incident to another dispatch area (callhandling/incident_move.py), in the
-- area it leaves: what the incident is here, for the other area to copy. Nothing changes.
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] incident calls zset cad:{area}:incident:{ref}:calls
-- KEYS[3] unit incident hash  cad:{area}:unit:incident
-- KEYS[4] pending zset        cad:{area}:pending
-- KEYS[5] awaiting-result zset cad:{area}:awaiting-result
-- KEYS[6..] call hashes       cad:{area}:call:{call_id}, one for each call id below
-- ARGV[1] ref, ARGV[2..] the incident's call ids as the caller read them, in the order of KEYS[6..]
-- returns {'ok', fingerprint, JSON {incident, calls: [{id, score, fields, pttl_ms}], pending,
--          awaiting, committed: [callsign]}}
--         {'rejected', status, reason}
--         {'retry', '', ''}   its calls changed since the caller read them: read and call again
--         {'missing', '', ''} no such incident here
-- From the prelude: FINAL, incident_fingerprint.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', '', ''}
end
if FINAL[status] then
  return {'rejected', status, 'a ' .. status .. ' incident cannot be corrected'}
end
local ref = ARGV[1]
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
if #ids ~= #ARGV - 1 then
  return {'retry', '', ''}
end
local calls = {}
for i, call_id in ipairs(ids) do
  if ARGV[i + 1] ~= call_id then
    return {'retry', '', ''}
  end
  local fields = {}
  local flat = redis.call('HGETALL', KEYS[i + 5])
  for k = 1, #flat, 2 do fields[flat[k]] = flat[k + 1] end
  calls[#calls + 1] = {id = call_id, score = redis.call('ZSCORE', KEYS[2], call_id),
    fields = fields, pttl_ms = redis.call('PTTL', KEYS[i + 5])}
end
local incident = {}
local flat = redis.call('HGETALL', KEYS[1])
for k = 1, #flat, 2 do incident[flat[k]] = flat[k + 1] end
local committed = {}
for callsign in string.gmatch(incident['units'] or '', '[^,]+') do
  if redis.call('HGET', KEYS[3], callsign) == ref then committed[#committed + 1] = callsign end
end
local snapshot = {incident = incident, calls = calls, committed = committed,
  pending = redis.call('ZSCORE', KEYS[4], ref) or '',
  awaiting = redis.call('ZSCORE', KEYS[5], ref) or ''}
return {'ok', incident_fingerprint(KEYS[1], KEYS[2], KEYS[3], ref), cjson.encode(snapshot)}
