-- The prelude of every callhandling script, put in front of its own text when it is read
-- (callhandling/lua/__init__.py), after the constants written there from the Python code:
--   OPEN, FINAL  the statuses of an open and of a final incident, as sets (cad/incident_record.py)

-- Write a call record, which holds the caller's data, and its expiry together: no moment, and
-- no crash, leaves caller data without one. `fields`: the name, value list the script sets;
-- `call_json`: the rest of the record, a JSON object of strings (one argument, not dozens, to
-- pack and send).
local function record_call(key, fields, call_json, keep_s)
  for name, value in pairs(cjson.decode(call_json)) do
    fields[#fields + 1] = name
    fields[#fields + 1] = value
  end
  redis.call('HSET', key, unpack(fields))
  redis.call('EXPIRE', key, keep_s)
end

-- What an incident is in its area, as one digest: its hash, its calls and which of its units
-- are still committed to it here. Moving the incident to another area (incident_move_out, then
-- incident_move_commit) goes ahead only if this has not changed between its two steps.
local function incident_fingerprint(incident_key, calls_key, unit_incident_key, ref)
  local parts = {redis.call('HGETALL', incident_key), redis.call('ZRANGE', calls_key, 0, -1,
    'WITHSCORES')}
  for callsign in string.gmatch(redis.call('HGET', incident_key, 'units') or '', '[^,]+') do
    parts[#parts + 1] = callsign .. '=' .. (redis.call('HGET', unit_incident_key, callsign) or '')
  end
  return redis.sha1hex(cjson.encode(parts))
end

-- Whether `status` is among ARGV[first..]: the statuses a transition may leave.
local function may_leave(status, first)
  for i = first, #ARGV do
    if ARGV[i] == status then return true end
  end
  return false
end

-- A unit still committed to the incident (its callsign), or '' when none is: an incident may
-- not end while one is. Units lent by another area are committed there, where this slot cannot
-- look: the incident lists them (`borrowed`).
local function still_committed(incident_key, unit_incident_key, ref)
  local lent = redis.call('HGET', incident_key, 'borrowed') or ''
  if lent ~= '' then return lent end
  for callsign in string.gmatch(redis.call('HGET', incident_key, 'units') or '', '[^,]+') do
    if redis.call('HGET', unit_incident_key, callsign) == ref then return callsign end
  end
  return ''
end
