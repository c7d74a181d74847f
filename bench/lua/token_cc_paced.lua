-- client_credentials tokens (HTTP Basic, $BASIC = base64 id:secret) at a fixed rate: $RATE requests/s
-- in all, over $THREADS wrk threads. wrk has no rate option and Debian has no wrk2, so each thread
-- keeps a schedule of send times (RATE/THREADS per second) and delay() holds every connection's
-- next request until the next free slot. When the server falls behind, requests go out at once to
-- catch up; those sent more than 50 ms behind their slot are counted as `late`, because wrk's
-- latency runs from the actual send and so leaves out that wait (coordinated omission).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } licsat_timespec;
int clock_gettime(int clk_id, licsat_timespec *tp);
]]
local ts = ffi.new("licsat_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")

local threads = {}
function setup(thread) table.insert(threads, thread) end

-- Per thread (each wrk thread has its own Lua state); globals so that done() can read them.
function init(args)
  interval_ms = 1000 * tonumber(os.getenv("THREADS") or "2") / tonumber(os.getenv("RATE"))
  next_slot = nil
  late, s5xx, other = 0, 0, 0
end

function delay()
  local now = now_ms()
  if next_slot == nil then next_slot = now end
  local slot = next_slot
  next_slot = next_slot + interval_ms
  local wait = slot - now
  if wait < -50 then late = late + 1 end
  if wait <= 0 then return 0 end
  return math.floor(wait)
end

function response(status, headers, body)
  if status >= 500 then s5xx = s5xx + 1 elseif status ~= 200 then other = other + 1 end
end

done = function(summary, latency, requests)
  local l, s5, o = 0, 0, 0
  for _, t in ipairs(threads) do
    l = l + t:get("late"); s5 = s5 + t:get("s5xx"); o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.0f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f requests=%d status_5xx=%d status_other=%d " ..
    "socket_errors=%d late=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, summary.requests, s5, o,
    e.connect + e.read + e.write + e.timeout, l))
end
