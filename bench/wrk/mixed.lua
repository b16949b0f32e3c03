-- The soak's mixed load: a fixed rotation of requests over one wrk connection pool.
--   BENCH_CHAT_FILE, BENCH_STREAM_FILE, BENCH_TASK_FILE: JSON bodies;
--   BENCH_AUTH: the key for chat; BENCH_TEST_AUTH: the sandbox test key for tasks;
--   BENCH_POLL_PATH: a task to poll (GET).
local function read(name)
  local f = assert(io.open(os.getenv(name), "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local chat_body, stream_body, task_body = read("BENCH_CHAT_FILE"), read("BENCH_STREAM_FILE"), read("BENCH_TASK_FILE")
local auth = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("BENCH_AUTH") }
local test_auth = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("BENCH_TEST_AUTH") }
local poll_path = os.getenv("BENCH_POLL_PATH")

local rotation
function init(args)
  local chat = wrk.format("POST", "/v1/chat/completions", auth, chat_body)
  local stream = wrk.format("POST", "/v1/chat/completions", auth, stream_body)
  local task = wrk.format("POST", "/api/v1/images/generations", test_auth, task_body)
  local poll = wrk.format("GET", poll_path, test_auth, nil)
  -- 10 requests: 4 chat, 3 streams, 2 polls, 1 task submission.
  rotation = { chat, stream, poll, chat, stream, task, chat, poll, stream, chat }
end

local i = 0
function request()
  i = i % #rotation + 1
  return rotation[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "mean": %.1f, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
