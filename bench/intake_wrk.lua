-- wrk script for bench/intake_http.py: POST /api/v1/cases with the project's own generated bodies,
-- one JSON body a line in the file named by INTAKE_BODIES, in turn; the token in INTAKE_TOKEN.
local bodies = {}
local index = 0

function init(args)
  for line in io.lines(os.getenv("INTAKE_BODIES")) do
    bodies[#bodies + 1] = line
  end
  index = math.random(#bodies)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept-Language"] = "zh-TW"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("INTAKE_TOKEN")
end

function request()
  index = index % #bodies + 1
  return wrk.format(nil, "/api/v1/cases", nil, bodies[index])
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  -- One JSON line for the benchmark to read (latencies in microseconds).
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
