-- bench/tokens_pg_vs_sqlite.sh: small usage reports (POST …/virtual-accounts/{va}/usage), each
-- with a reportId of its own and $REPORT_DEVICES new devices of 3 licenses, as an operator
-- ($TOKEN, a bearer token) would send them. $USAGE_PATH is the request path, $RUN makes the ids
-- unique across runs.
local devices = tonumber(os.getenv("REPORT_DEVICES") or "10")
local path = os.getenv("USAGE_PATH")
local run = os.getenv("RUN") or "run"
local tags = { "network-advantage", "dna-advantage", "security-essentials" }
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
}

local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local counter = 0
function request()
  counter = counter + 1
  local id = string.format("%s-%d-%d", run, tid, counter)
  local parts = {}
  for i = 1, devices do
    local lic = {}
    for k, t in ipairs(tags) do lic[k] = string.format('{"tag":"%s","count":%d}', t, 1 + (i + k) % 3) end
    parts[i] = string.format('{"pid":"C9300-48P","sn":"%s-%d","hostname":"sw-%s-%d.example.com","licenses":[%s]}',
      id, i, id, i, table.concat(lic, ","))
  end
  local body = string.format('{"reportId":"%s","manager":"bench","period":{"start":"2026-11-24T00:00:00Z",'
    .. '"end":"2026-11-25T00:00:00Z"},"devices":[%s]}', id, table.concat(parts, ","))
  return wrk.format("POST", path, headers, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status, errors))
end
