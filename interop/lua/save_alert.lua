-- Keep a CAP message (interop/cap/store.py); when it follows an earlier one (an update or a
-- cancel), claim that one's only successor in the same step, so that a chain never forks and no
-- claim is left without its message.
-- KEYS[1] successors hash     cad:{interop}:alert-successor
-- KEYS[2] the message         cad:{interop}:alert:{id}
-- KEYS[3] the index           cad:{interop}:alerts
-- ARGV[1] its id, ARGV[2] its JSON, ARGV[3] sent (ms), ARGV[4] the id it follows ('' if none)
-- returns 'saved' | 'taken' (the earlier one was followed already: nothing written)
if ARGV[4] ~= '' and redis.call('HSETNX', KEYS[1], ARGV[4], ARGV[1]) == 0 then
  return 'taken'
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return 'saved'
