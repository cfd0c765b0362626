-- POST /flash-sales/<sale>/claims with a different customer's token each
-- request (tokens from TOKENS_FILE, one per line; sale id from SALE_ID).
local tokens = {}
local i = 0
local path

function init(args)
  for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
  path = "/flash-sales/" .. os.getenv("SALE_ID") .. "/claims"
  i = math.random(1, #tokens)
end

function request()
  i = i % #tokens + 1
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[i],
  }, "{}")
end

local statuses = {}
function response(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, requests %d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests))
end
