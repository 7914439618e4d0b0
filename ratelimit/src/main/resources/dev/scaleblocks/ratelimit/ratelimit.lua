-- scaleblocks rate limiter: one decision (or one lease) for one key, every limit of the policy,
-- all or nothing, in one call. A transcription of CounterMath.java; change both together.
--
-- KEYS[i]  state of limit i: three doubles a, b, c packed by struct.pack('<ddd') (exact integers
--          below 2^53), all keys sharing one {hash tag}; written with SET ... PX (TTL on every key)
-- ARGV[1]  algorithm: tb | gcra | fw | sw
-- ARGV[2]  now in ms, or -1 to read the server's TIME (the default: client clocks are not trusted)
-- ARGV[3]  permits wanted (n);  ARGV[4] permits to take at most when available (a lease; >= n)
--          or, for a refund (n < 0): -n permits to give back, admitted at ARGV[4] ms (Redis time
--          then); see CounterMath.refund. A refund returns 1 when it gave anything back, else 0,
--          and writes only the keys it changed.
-- ARGV[5..] per limit: quota, period in ms, capacity
-- returns {allowed, granted, binding (0-based), limit, remaining, reset ms, retry ms, now ms}
--   reset: ms until more quota is made available (draft-10 't'; 0 when full), never above retry;
--   keys live until the limit would be full again (untilFull in CounterMath)
--
-- Batch mode (ARGV[3] = 'batch'): several decisions in one call, on one clock reading. ARGV[4] is
-- the number of decisions d; KEYS holds each decision's keys in turn (#KEYS / d per decision, all
-- of one Cluster slot); after the limits' arguments come n and the most to take for each
-- decision. Each decision is made as if called alone, in order, so one key asked for twice sees
-- the first decision's write. Returns one reply per decision: the array above, or {-1, message} for a
-- decision that failed (a key of the wrong type, say), whose writes, if any, stand; the others
-- are unaffected.
--
-- Integer arithmetic only: every product stays below 2^53 (checked by the client), and divisions
-- go through idiv, which corrects the float quotient to the exact floor.
--
-- A policy with one limit (the common case) takes a straight path below, but for the sliding
-- window: the same arithmetic on locals, without the tables and helper closures the general path
-- needs. Redis calls per decision: TIME (once per call), GET, and SET only when admitted.

local function idiv(a, b)
  local q = math.floor(a / b)
  if q * b > a then
    q = q - 1
  elseif (q + 1) * b <= a then
    q = q + 1
  end
  return q
end

local function cdiv(a, b)
  return -idiv(-a, b)
end

local function str(x)
  return string.format('%.0f', x)
end

local alg = ARGV[1]
local now = tonumber(ARGV[2])
-- shortest TTL written: 1 ms; with a client clock (a test hook) Redis still expires keys in real
-- time, so keys then live at least a minute of real time whatever the client clock says
local minTtl = 1
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + idiv(tonumber(t[2]), 1000)
else
  minTtl = 60000
end
local batch = ARGV[3] == 'batch'
local d = 1
if batch then d = tonumber(ARGV[4]) end
local m = #KEYS / d
-- the decision being made: its permits, the most it may take, and where its keys start in KEYS
local n, maxp, kb = 0, 0, 0
if not batch then n, maxp = tonumber(ARGV[3]), tonumber(ARGV[4]) end

local Q, P, C, A, B, X, Found = {}, {}, {}, {}, {}, {}, {}
for i = 1, m do
  local base = 4 + 3 * (i - 1)
  Q[i], P[i], C[i] = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
end

-- one limit, permits wanted, any algorithm but the sliding window: the straight path
local function decide_one()
  local q, p, c = Q[1], P[1], C[1]
  local key = KEYS[kb + 1]
  local v = redis.call('GET', key)
  local a, b, x
  if v then a, b, x = struct.unpack('<ddd', v) end
  if alg == 'tb' then
    if a == nil then
      a, b, x = c, now, 0
    else
      if a > c then a, x = c, 0 end -- the capacity was lowered: the excess tokens are gone
      local el = now - b
      if el > 0 then
        if a < c then
          if el >= cdiv((c - a) * p - x, q) then
            a, x = c, 0
          else
            local y = el * q + x
            local d = idiv(y, p)
            a = a + d
            x = y - d * p
          end
        end
        b = now
      end
    end
    if a < n then
      local reset = 0
      if a < c then reset = cdiv(p - x, q) end
      return {0, 0, 0, c, a, reset, math.max(1, cdiv((n - a) * p - x, q)), now}
    end
    local g = math.min(maxp, a)
    a = a - g
    local reset, full = 0, 0
    if a < c then
      reset = cdiv(p - x, q)
      full = cdiv((c - a) * p - x, q)
    end
    redis.call('SET', key, struct.pack('<ddd', a, b, x), 'PX', str(math.max(minTtl, full)))
    return {1, g, 0, c, a, reset, 0, now}
  elseif alg == 'gcra' then
    if a == nil then
      a, b, x = 0, now, 0
    else
      local el = now - b
      if el > 0 then
        if a > 0 then
          if el >= cdiv(a, q) then
            a = 0
          else
            a = a - el * q
          end
        end
        b = now
      end
    end
    local av = math.max(0, idiv(c * p - a, p))
    if av < n then
      local reset = 0
      if a > 0 then reset = cdiv(a - (c - av - 1) * p, q) end
      return {0, 0, 0, c, av, reset, math.max(1, cdiv(a + n * p - c * p, q)), now}
    end
    local g = math.min(maxp, av)
    a = a + g * p
    av = idiv(c * p - a, p)
    local reset = 0
    if a > 0 then reset = cdiv(a - (c - av - 1) * p, q) end
    redis.call('SET', key, struct.pack('<ddd', a, b, x), 'PX', str(math.max(minTtl, cdiv(a, q))))
    return {1, g, 0, c, av, reset, 0, now}
  elseif alg == 'fw' then
    local w = idiv(now, p)
    if a == nil or w > a then
      a, b, x = w, 0, 0
    end
    local av = math.max(0, q - b)
    local ends = (a + 1) * p - now
    if av < n then
      local reset = 0
      if b ~= 0 then reset = ends end
      local retry = 0
      if b + n > q then retry = ends end
      return {0, 0, 0, c, av, reset, math.max(1, retry), now}
    end
    local g = math.min(maxp, av)
    b = b + g
    redis.call('SET', key, struct.pack('<ddd', a, b, x), 'PX', str(math.max(minTtl, ends)))
    local reset = 0
    if b ~= 0 then reset = ends end
    return {1, g, 0, c, math.max(0, q - b), reset, 0, now}
  end
end

local function advance(i)
  local q, p, c = Q[i], P[i], C[i]
  local v = redis.call('GET', KEYS[kb + i])
  local a, b, x
  if v then a, b, x = struct.unpack('<ddd', v) end
  Found[i] = a ~= nil
  if alg == 'tb' then
    if a == nil then
      a, b, x = c, now, 0
    else
      if a > c then a, x = c, 0 end -- the capacity was lowered: the excess tokens are gone
      local el = now - b
      if el > 0 then
        if a < c then
          local need = (c - a) * p - x
          if el >= cdiv(need, q) then
            a, x = c, 0
          else
            local y = el * q + x
            a = a + idiv(y, p)
            x = y - idiv(y, p) * p
          end
        end
        b = now
      end
    end
  elseif alg == 'gcra' then
    if a == nil then
      a, b, x = 0, now, 0
    else
      local el = now - b
      if el > 0 then
        if a > 0 then
          if el >= cdiv(a, q) then
            a = 0
          else
            a = a - el * q
          end
        end
        b = now
      end
    end
  elseif alg == 'fw' then
    local w = idiv(now, p)
    if a == nil or w > a then
      a, b, x = w, 0, 0
    end
  else -- sw
    local w = idiv(now, p)
    if a == nil then
      a, b, x = w, 0, 0
    elseif w > a then
      if w == a + 1 then
        x = b
      else
        x = 0
      end
      b = 0
      a = w
    end
  end
  A[i], B[i], X[i] = a, b, x
end

local function elapsed_in_window(i)
  local e = now - A[i] * P[i]
  if e > P[i] - 1 then e = P[i] - 1 end
  if e < 0 then e = 0 end
  return e
end

local function prev_weighted(i)
  return cdiv(X[i] * (P[i] - elapsed_in_window(i)), P[i])
end

local function avail(i)
  if alg == 'tb' then
    return A[i]
  elseif alg == 'gcra' then
    return math.max(0, idiv(C[i] * P[i] - A[i], P[i]))
  elseif alg == 'fw' then
    return math.max(0, Q[i] - B[i])
  else
    return math.max(0, Q[i] - prev_weighted(i) - B[i])
  end
end

local function consume(i, g)
  if alg == 'tb' then
    A[i] = A[i] - g
  elseif alg == 'gcra' then
    A[i] = A[i] + g * P[i]
  else
    B[i] = B[i] + g
  end
end

local function reset(i)
  local q, p = Q[i], P[i]
  if alg == 'tb' then
    if A[i] >= C[i] then return 0 end
    return cdiv(p - X[i], q)
  elseif alg == 'gcra' then
    if A[i] <= 0 then return 0 end
    local av = math.max(0, idiv(C[i] * p - A[i], p))
    return cdiv(A[i] - (C[i] - av - 1) * p, q)
  elseif alg == 'fw' then
    if B[i] == 0 then return 0 end
    return (A[i] + 1) * p - now
  else
    local e = elapsed_in_window(i)
    local w = prev_weighted(i)
    if w > 0 then
      return math.max(1, p - e - idiv((w - 1) * p, X[i]))
    end
    local c = B[i]
    if c > 0 then
      return (p - e) + (p - idiv((c - 1) * p, c))
    end
    return 0
  end
end

local function until_full(i)
  local q, p = Q[i], P[i]
  if alg == 'tb' then
    if A[i] >= C[i] then return 0 end
    return cdiv((C[i] - A[i]) * p - X[i], q)
  else -- gcra
    return cdiv(A[i], q)
  end
end

local function retry(i)
  local q, p = Q[i], P[i]
  if alg == 'tb' then
    if A[i] >= n then return 0 end
    return cdiv((n - A[i]) * p - X[i], q)
  elseif alg == 'gcra' then
    return math.max(0, cdiv(A[i] + n * p - C[i] * p, q))
  elseif alg == 'fw' then
    if B[i] + n <= q then return 0 end
    return (A[i] + 1) * p - now
  else
    local e = elapsed_in_window(i)
    local c, prev = B[i], X[i]
    if prev_weighted(i) + c + n <= q then return 0 end
    local k = q - c - n
    if k >= 0 then
      return math.max(1, p - e - idiv(k * p, prev))
    end
    return (p - e) + math.max(0, p - idiv((q - n) * p, c))
  end
end

local function ttl(i)
  if alg == 'tb' or alg == 'gcra' then
    return until_full(i)
  elseif alg == 'fw' then
    return (A[i] + 1) * P[i] - now
  else
    return 2 * P[i] - elapsed_in_window(i)
  end
end

-- CounterMath.giveBack: limit i gets back k permits admitted at time t, never above what it holds
local function give_back(i, k, t)
  local p = P[i]
  if alg == 'tb' then
    if A[i] >= C[i] then return false end
    if A[i] + k >= C[i] then
      A[i], X[i] = C[i], 0
    else
      A[i] = A[i] + k
    end
    return true
  elseif alg == 'gcra' then
    if A[i] <= 0 then return false end
    A[i] = math.max(0, A[i] - k * p)
    return true
  elseif alg == 'fw' then
    if idiv(t, p) ~= A[i] or B[i] <= 0 then return false end
    B[i] = math.max(0, B[i] - k)
    return true
  else
    local w = idiv(t, p)
    if w == A[i] then
      if B[i] <= 0 then return false end
      B[i] = math.max(0, B[i] - k)
    elseif w == A[i] - 1 then
      if X[i] <= 0 then return false end
      X[i] = math.max(0, X[i] - k)
    else
      return false
    end
    return true
  end
end

if n < 0 then
  local changed = 0
  for i = 1, m do
    advance(i)
    -- a key that is gone is full (or its window over): nothing to give back, nothing to write
    if Found[i] and give_back(i, -n, maxp) then
      changed = 1
      local t = ttl(i)
      if t < minTtl then t = minTtl end
      redis.call('SET', KEYS[i], struct.pack('<ddd', A[i], B[i], X[i]), 'PX', str(t))
    end
  end
  return changed
end

local function decide()
  if m == 1 and alg ~= 'sw' then
    return decide_one()
  end
  local minAvail = nil
  for i = 1, m do
    advance(i)
    local av = avail(i)
    if minAvail == nil or av < minAvail then minAvail = av end
  end

  if minAvail < n then
    local binding, worst = 1, -1
    for i = 1, m do
      if avail(i) < n then
        local wait = retry(i)
        if wait > worst then
          worst, binding = wait, i
        end
      end
    end
    return {0, 0, binding - 1, C[binding], avail(binding), reset(binding), math.max(1, worst), now}
  end

  local granted = math.min(maxp, minAvail)
  local binding, least = 1, nil
  for i = 1, m do
    consume(i, granted)
    local left = avail(i)
    if least == nil or left < least then
      least, binding = left, i
    end
    local t = ttl(i)
    if t < minTtl then t = minTtl end
    redis.call('SET', KEYS[kb + i], struct.pack('<ddd', A[i], B[i], X[i]), 'PX', str(t))
  end
  return {1, granted, binding - 1, C[binding], least, reset(binding), 0, now}
end

if not batch then
  return decide()
end

local out = {}
local at = 4 + 3 * m
for j = 1, d do
  n, maxp, kb = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), (j - 1) * m
  at = at + 2
  local ok, r = pcall(decide)
  if ok then
    out[j] = r
  elseif type(r) == 'table' and r.err then
    out[j] = {-1, r.err}
  else
    out[j] = {-1, tostring(r)}
  end
end
return out
