-- wrk script for scripts/bench-one-shop.sh: every request is one push of 50 new invoices by
-- one of the shop's 8 till ids, with the cashier's token from POSSYNC_TOKEN. A response that is
-- not a 200 with "synced_count":50 is counted as failed and printed at the end.
local token = os.getenv("POSSYNC_TOKEN")
local run = os.getenv("POSSYNC_RUN") or "run"
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  pushes, failed = 0, 0
  wrk.method = "POST"
  wrk.path = "/api/sync/batch-push"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  pushes = pushes + 1
  local prefix = run .. "-" .. thread_id .. "-" .. pushes .. "-"
  local records = {}
  for i = 1, 50 do
    records[i] = '{"table_name":"invoices","record_id":"' .. prefix .. i ..
      '","data":{"total":' .. i .. ',"note":"فاتورة"},"local_updated_at":"2026-12-04T10:00:00Z"}'
  end
  local till = "till-" .. ((thread_id * 7 + pushes) % 8 + 1)
  return wrk.format(nil, nil, nil,
    '{"device_id":"' .. till .. '","records":[' .. table.concat(records, ",") .. "]}")
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"synced_count":50', 1, true) then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local failures = 0
  for _, thread in ipairs(threads) do
    failures = failures + thread:get("failed")
  end
  io.write(string.format("pushes_failed %d\n", failures))
  io.write(string.format("latency_p50_ms %.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("latency_p99_ms %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("pushes %d\n", summary.requests))
  io.write(string.format("seconds %.3f\n", summary.duration / 1e6))
end
