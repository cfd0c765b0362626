-- POST /customers with a new email every request, unique per thread and run
-- (`setup` hands each thread its own `thread_id` global).
local counter = 0
local run = tostring(os.time())
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"email":"bench-%s-%d-%d@example.com","password":"correct horse battery","first_name":"Bench","last_name":"Mark"}',
    run, thread_id, counter)
  return wrk.format("POST", "/customers", {["Content-Type"] = "application/json"}, body)
end
