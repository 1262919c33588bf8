-- Record an incident's hand-over to another force (final status 'transferred'), if its life
-- cycle allows it now and no unit is still committed to it (one Met units attended and cleared
-- awaits its result: the hand-over takes it out of that list too).
-- KEYS[1] incident hash       cad:{area}:incident:{ref}
-- KEYS[2] unit incident hash  cad:{area}:unit:incident
-- KEYS[3] pending zset        cad:{area}:pending
-- KEYS[4] open incidents geo  cad:{area}:open
-- KEYS[5] transfer zset       cad:{area}:transfer
-- KEYS[6] audit stream        cad:{area}:audit
-- KEYS[7] awaiting-result zset cad:{area}:awaiting-result
-- ARGV[1] ref, ARGV[2] now (ms), ARGV[3] actor, ARGV[4] the force it went to, ARGV[5] that
-- force's reference ('' if none yet), ARGV[6] note, ARGV[7..] the statuses it may leave
-- returns {'ok', previous status}
--         {'rejected', current status, reason}
--         {'missing', '', ''}   no such incident: nothing changed (no hash is created)
-- From the prelude: may_leave, still_committed.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'missing', '', ''}
end
if not may_leave(status, 7) then
  return {'rejected', status, 'illegal transition ' .. status .. ' -> transferred'}
end
local ref, now = ARGV[1], ARGV[2]
local committed = still_committed(KEYS[1], KEYS[2], ref)
if committed ~= '' then
  return {'rejected', status, 'units still committed: ' .. committed}
end
redis.call('HSET', KEYS[1], 'status', 'transferred', 'status_ms', now, 'transfer_force', ARGV[4],
  'transfer_reference', ARGV[5], 'transfer_note', ARGV[6], 'transferred_ms', now,
  'closed_ms', now)
redis.call('ZREM', KEYS[3], ref)
redis.call('ZREM', KEYS[4], ref)
redis.call('ZREM', KEYS[5], ref)
redis.call('ZREM', KEYS[7], ref)
redis.call('XADD', KEYS[6], '*', 'type', 'incident_transferred', 'ref', ref, 'previous', status,
  'force', ARGV[4], 'reference', ARGV[5], 'note', ARGV[6], 'actor', ARGV[3], 'ts_ms', now)
return {'ok', status, ''}
