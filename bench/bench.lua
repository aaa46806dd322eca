-- SPDX-License-Identifier: MIT
--
-- wrk script for bench/bench.sh: POSTs a tools/call echo request with the
-- Streamable HTTP headers, one fresh JSON-RPC id per request (a gateway that
-- maps responses back to requests by id must not see two alike in flight).
--
-- Environment (read by every wrk thread):
--   BENCH_SESSION_ID  if set, sent as Mcp-Session-Id (Supergateway --stateful)
--   BENCH_EXPECT      substring a 200 body must contain (default "hello")
--
-- At the end it prints one machine-readable line, parsed by bench.sh:
--   BENCH_RESULT requests=N duration_us=N rps=F p50_us=N p99_us=N
--                non200=N badbody=N connect=N read=N write=N timeout=N status=N

local threads = {}
local nthreads = 0

function setup(thread)
  thread:set("tidx", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

local headers = {
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/json, text/event-stream",
}

local expect

function init(args)
  local sid = os.getenv("BENCH_SESSION_ID")
  if sid and sid ~= "" then
    headers["Mcp-Session-Id"] = sid
  end
  expect = os.getenv("BENCH_EXPECT")
  if not expect or expect == "" then expect = "hello" end
  counter = 0
  non200 = 0
  badbody = 0
end

function request()
  counter = counter + 1
  -- tidx is set by setup(); ids stay unique across threads.
  local id = tidx * 1000000000 + counter
  local body = '{"jsonrpc":"2.0","id":' .. id ..
      ',"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}'
  return wrk.format("POST", nil, headers, body)
end

function response(status, hdrs, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif not body or not string.find(body, expect, 1, true) then
    badbody = badbody + 1
  end
end

function done(summary, latency, requests)
  local n200, nbad = 0, 0
  for _, t in ipairs(threads) do
    n200 = n200 + (t:get("non200") or 0)
    nbad = nbad + (t:get("badbody") or 0)
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.2f p50_us=%d p99_us=%d " ..
    "non200=%d badbody=%d connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.duration,
    secs > 0 and summary.requests / secs or 0,
    latency:percentile(50), latency:percentile(99),
    n200, nbad, e.connect, e.read, e.write, e.timeout, e.status))
end
