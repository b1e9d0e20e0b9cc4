-- wrk script for bench/serve.sh's hardening run: every connection rotates through a mix of good and
-- bad requests (bodies written by bench/serve_bodies.py into the directory named after `--`), and
-- the responses are tallied by status across all threads.
--   wrk -t2 -c32 -d60s --latency -s bench/serve_mix.lua http://HOST:PORT -- bench/out/serve/bodies
--
-- Per cycle of 46 requests: on POST /predict, 12 one-row and 4 seven-row predictions and 1 empty
-- batch (200), 3 bodies that are not JSON (400), 8 of the wrong shape, missing a column or with a
-- wrong type (422), 1 over --max-body 64k (413); on the Open Inference Protocol's
-- POST /v2/models/ames-ridge/infer, 3 seven-row tensors (200) and 3 bad ones (400); on MLflow's
-- POST /invocations, 2 dataframe_split and 1 dataframe_records bodies (200) and 2 bad ones (400);
-- GET /metrics, /health, /model, /v2/health/ready, /v2/models/ames-ridge (200) and an unknown
-- path (404).

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

local function read(dir, name)
   local f = assert(io.open(dir .. "/" .. name, "rb"))
   local body = f:read("*a")
   f:close()
   return body
end

function init(args)
   local dir = args[1]
   local json = { ["Content-Type"] = "application/json" }
   local mix = {
      { "good_1.json", 12 }, { "good_7.json", 4 }, { "empty_rows.json", 1 },
      { "bad_json.json", 2 }, { "bad_utf8.bin", 1 },
      { "bad_shape.json", 2 }, { "bad_rows.json", 1 }, { "bad_missing.json", 2 },
      { "bad_type.json", 2 }, { "bad_nested.json", 1 }, { "big.json", 1 },
   }
   reqs = {}
   for _, m in ipairs(mix) do
      local body = read(dir, m[1])
      for _ = 1, m[2] do
         table.insert(reqs, wrk.format("POST", "/predict", json, body))
      end
   end
   local routed = {
      { "/v2/models/ames-ridge/infer", "oip_good_7.json", 3 }, { "/v2/models/ames-ridge/infer", "oip_bad_shape.json", 1 },
      { "/v2/models/ames-ridge/infer", "oip_bad_type.json", 1 }, { "/v2/models/ames-ridge/infer", "oip_missing.json", 1 },
      { "/invocations", "mlflow_split_7.json", 2 }, { "/invocations", "mlflow_records_7.json", 1 },
      { "/invocations", "mlflow_bad.json", 1 }, { "/invocations", "mlflow_unknown.json", 1 },
   }
   for _, m in ipairs(routed) do
      local body = read(dir, m[2])
      for _ = 1, m[3] do
         table.insert(reqs, wrk.format("POST", m[1], json, body))
      end
   end
   for _, path in ipairs({ "/metrics", "/health", "/model", "/v2/health/ready", "/v2/models/ames-ridge", "/no/such/route" }) do
      table.insert(reqs, wrk.format("GET", path))
   end
   -- Interleave deterministically (a stride prime to the length), each thread from its own place.
   local n, shuffled, j = #reqs, {}, 0
   for _ = 1, n do
      j = (j + 7) % n
      table.insert(shuffled, reqs[j + 1])
   end
   reqs = shuffled
   i = (id or 0) * 5
   counts = {}
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
   local total, statuses = {}, {}
   for _, t in ipairs(threads) do
      for status, n in pairs(t:get("counts")) do
         if total[status] == nil then table.insert(statuses, status) end
         total[status] = (total[status] or 0) + n
      end
   end
   table.sort(statuses)
   local parts = {}
   for _, s in ipairs(statuses) do table.insert(parts, s .. "=" .. total[s]) end
   local e = summary.errors
   io.write(string.format(
      "RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f requests=%d socket_errors=%d statuses=%s\n",
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      summary.requests, e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
