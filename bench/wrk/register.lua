-- POST /customers with a new email every request.
local counter = 0
local run = tostring(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  counter = counter + 1
  local body = string.format(
    '{"email":"bench-%s-%d-%d@example.com","password":"correct horse battery","first_name":"Bench","last_name":"Mark"}',
    run, math.random(1, 1000000000), counter)
  return wrk.format(nil, "/customers", nil, body)
end
