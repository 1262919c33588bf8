-- Read the caller's number of each of an incident's calls, auditing every read first: who read
-- which call's number, when. The number itself is never written to the audit.
-- KEYS[1] audit stream        cad:{area}:audit
-- KEYS[2..] call hashes       cad:{area}:call:{call_id}, one for each call id below
-- ARGV[1] ref, ARGV[2] now (ms), ARGV[3] actor, ARGV[4..] the call ids, in the order of KEYS[2..]
-- returns a flat list, three entries a call: call id, caller number ('' for none), and whether
--         its record is still kept ('1') or has expired with the caller data ('0')
local out = {}
for i = 2, #KEYS do
  local call_id = ARGV[i + 2]
  local cli = redis.call('HGET', KEYS[i], 'cli')
  local kept = redis.call('EXISTS', KEYS[i]) == 1
  if kept then
    redis.call('XADD', KEYS[1], '*', 'type', 'caller_read', 'ref', ARGV[1], 'call_id', call_id,
      'actor', ARGV[3], 'ts_ms', ARGV[2])
  end
  out[#out + 1] = call_id
  out[#out + 1] = cli or ''
  out[#out + 1] = kept and '1' or '0'
end
return out
