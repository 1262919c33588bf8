-- The prelude of every dispatch script, put in front of its own text when it is read
-- (dispatch/lua/__init__.py), after the constants written there from the Python code:
--   RANK, UNGRADED_RANK, WEIGHT  an incident's place in the queue (dispatch/claims.py)
--   OPEN, FINAL                  incident statuses, as sets (cad/incident_record.py)

-- The entries of a comma-separated list but `item`, in order ('' drops only the empty ones).
local function without(list, item)
  local kept = {}
  for value in string.gmatch(list or '', '[^,]+') do
    if value ~= item then kept[#kept + 1] = value end
  end
  return kept
end

-- An incident grade's rank in the queue, ungraded last.
local function rank(grade)
  return RANK[grade or ''] or UNGRADED_RANK
end

-- The unit side of escalating an unacknowledged tasking (escalate_tasking, escalate_unit);
-- `unit` names the unit hashes and the available set: status, incident, tasking, available,
-- since, by. Why the tasking is not escalated now: nil when it is due.
local function escalation_refused(unit, callsign, tasking, cutoff_ms, ref)
  if redis.call('HGET', unit.status, callsign) ~= 'assigned' then
    return 'not assigned'
  end
  if redis.call('HGET', unit.tasking, callsign) ~= tasking then
    return 'holds another tasking'
  end
  if tonumber(redis.call('HGET', unit.since, callsign) or '0') > tonumber(cutoff_ms) then
    return 'not yet due'
  end
  if (redis.call('HGET', unit.incident, callsign) or '') ~= ref then
    return 'incident changed'
  end
  return nil
end

-- The unit becomes 'unresponsive' (out of the available set, so never recommended) and loses
-- its incident and its tasking.
local function make_unresponsive(unit, callsign, now, actor)
  redis.call('HSET', unit.status, callsign, 'unresponsive')
  redis.call('HSET', unit.since, callsign, now)
  redis.call('HSET', unit.by, callsign, actor)
  redis.call('ZREM', unit.available, callsign)
  redis.call('HDEL', unit.incident, callsign)
  redis.call('HDEL', unit.tasking, callsign)
end
