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

-- A dispatcher takes a unit off its incident (stand_down, divert_unit); `unit` names the unit
-- hashes: status, incident, tasking. The incident drops the unit from `units` and the tasking
-- beside it from `taskings` (so a later claim may name it again); when no unit, local or lent
-- (`borrowed`), is still committed to it, an open incident goes back to the queue at the front
-- of its grade rather than closing: it was never dealt with. The unit's own hashes are the
-- caller's to write. Returns the number of units still committed.
local function leave_incident(unit, incident, pending, audit, callsign, ref, now, actor, reason)
  local tasking = redis.call('HGET', unit.tasking, callsign) or ''
  local units = without(redis.call('HGET', incident, 'units'), callsign)
  local taskings = without(redis.call('HGET', incident, 'taskings'), tasking)
  redis.call('HSET', incident, 'units', table.concat(units, ','),
    'taskings', table.concat(taskings, ','))
  redis.call('XADD', audit, '*', 'type', 'unit_stood_down', 'ref', ref, 'callsign', callsign,
    'tasking_id', tasking, 'actor', actor, 'reason', reason, 'ts_ms', now)
  local committed = 0
  for _, other in ipairs(units) do
    if redis.call('HGET', unit.incident, other) == ref then committed = committed + 1 end
  end
  if (redis.call('HGET', incident, 'borrowed') or '') ~= '' then committed = committed + 1 end
  if committed == 0 and OPEN[redis.call('HGET', incident, 'status') or ''] then
    redis.call('HSET', incident, 'status', 'pending', 'status_ms', now)
    redis.call('ZADD', pending, rank(redis.call('HGET', incident, 'grade')) * WEIGHT, ref)
    redis.call('XADD', audit, '*', 'type', 'incident_queued', 'ref', ref, 'actor', actor,
      'reason', 'last unit stood down: ' .. reason, 'ts_ms', now)
  end
  return committed
end

-- How many of the nearest available units a search reads first for `need` units holding every
-- capability in `caps` (the capability sets' key names) out of a fleet of `fleet` units: as
-- many as should hold them, were the holders spread among the available as among the whole
-- fleet, and one more in case one is stale. Turning the members GEOSEARCH finds into Lua tables
-- costs more than the search itself. 0: no unit holds one of the capabilities, so no search can
-- meet the need (claim_plan, available_with).
local function holders_window(fleet, caps, need)
  local holders = fleet
  for _, cap in ipairs(caps) do
    holders = math.min(holders, redis.call('SCARD', cap))
  end
  if holders == 0 then return 0 end
  return math.ceil((need + 1) * fleet / holders)
end

-- Why `callsign`, a member of the available set, cannot be sent now; nil when it can.
-- 'capability': it lacks one of `caps` (checked first: for a rare one most members fail there,
-- in one call); 'status': its status is not available (the member is stale in the set);
-- 'stale fix': its last AVL fix is older than `min_fix` (ms; 0: no limit). `unit` names the
-- status and fix hashes (claim_plan, available_with).
local function unsuitable(unit, caps, callsign, min_fix)
  for _, cap in ipairs(caps) do
    if redis.call('SISMEMBER', cap, callsign) == 0 then return 'capability' end
  end
  if redis.call('HGET', unit.status, callsign) ~= 'available' then return 'status' end
  if min_fix > 0 then
    local fix = tonumber(redis.call('HGET', unit.fix, callsign) or '0')
    if fix > 0 and fix < min_fix then return 'stale fix' end
  end
  return nil
end

-- What a recommendation needs of each unit found (unit_candidates, available_with): a flat
-- list, six entries a unit: callsign, distance (m), status, last fix (ms), registry record,
-- incident ref ('' where Redis holds none). `hashes` names the status, fix, units and incident
-- hashes in that order. One HMGET a hash for all the units, not one HGET a unit and hash: each
-- call out of Lua has a cost of its own, and this makes four of them instead of forty-odd.
local function unit_rows(hashes, names, dists)
  if #names == 0 then
    return {}
  end
  local columns = {}
  for k, hash in ipairs(hashes) do
    columns[k] = redis.call('HMGET', hash, unpack(names))
  end
  local out = {}
  for i, name in ipairs(names) do
    out[#out + 1] = name
    out[#out + 1] = dists[i]
    for k = 1, #hashes do
      out[#out + 1] = columns[k][i] or ''
    end
  end
  return out
end
