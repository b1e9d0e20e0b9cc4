-- wrk script for bench/serve.sh: POST /predict with one fixed JSON body, read from the file named
-- after `--`; prints a RESULT line (requests/s, p50 and p99 latency in ms, non-2xx, socket errors).
--   wrk -t2 -c32 -d15s --latency -s bench/serve_post.lua http://HOST:PORT -- body.json

wrk.method = "POST"
wrk.path = "/predict"
wrk.headers["Content-Type"] = "application/json"

function init(args)
   local f = assert(io.open(args[1], "rb"))
   wrk.body = f:read("*a")
   f:close()
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d socket_errors=%d\n",
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
