-- wrk script: POST a registration-shaped JSON body with an email unique per request.
-- Usage: wrk ... -s bench/post_json.lua URL -- <path> <run-prefix>
-- done() prints one line "BENCH_JSON {...}" that bench/registration_throughput.py reads.

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

local path, prefix
local counter = 0
statuses = {}  -- global: done() reads it from each thread with thread:get()

function init(args)
  path = args[1]
  prefix = args[2]
  statuses = {}
end

function request()
  counter = counter + 1
  local email = string.format("%s-%d-%d@bench.example.org", prefix, tid, counter)
  local body = string.format(
    '{"name":"Bench Person %d","email":"%s","job_title":"Buyer",' ..
    '"organisation":"City of Ghent","organisation_kind":"municipality",' ..
    '"country":"BE","consent":true}', counter, email)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format('"%s":%d', status, n))
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end
