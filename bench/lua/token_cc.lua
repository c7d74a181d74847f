-- client_credentials token requests with HTTP Basic client authentication ($BASIC = base64 id:secret).
wrk.method = "POST"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")

done = function(summary, latency, requests)
  io.write(string.format("BENCH rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx_or_errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
