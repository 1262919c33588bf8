-- Take a lease, or keep one already held: the holder of a lease is the only process that may
-- do what it guards (the call intake's MQTT session) until it lapses.
-- KEYS[1] the lease (string)  e.g. cad:lease:intake
-- ARGV[1] holder, ARGV[2] time to live (ms)
-- returns 1 when the caller holds the lease for ARGV[2] ms from now, 0 when another does
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
