-- bench/peers/run.sh: client_credentials token requests with HTTP Basic client authentication
-- ($BASIC = base64 of client_id:client_secret), body $BODY (default grant_type=client_credentials).
-- Counts every response outside 2xx (wrk's own summary.errors.status counts only >= 400) and
-- every socket error, so a server that fails requests cannot look fast.
wrk.method = "POST"
wrk.body = os.getenv("BODY") or "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

non2xx = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

done = function(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("non2xx") end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local ok = summary.requests - bad
  io.write(string.format("RESULT ok_rps=%.2f rps=%.2f p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d socket_errors=%d\n",
    ok / (summary.duration / 1e6), summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests, bad, errors))
end
