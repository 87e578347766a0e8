-- wrk script for creates: POST with a unique external_id per request (a duplicate would be a 400).
--
--   wrk -H 'Authorization: Bearer bench' -s create.lua URL -- <label> <body template>
--
-- The body template comes from http_bench.py (one definition of the body) with EXTERNAL_ID
-- where the id goes. Every wrk thread has its own Lua state, so setup() numbers the threads and
-- each counts on its own: external_id = <label>-<thread>-<counter>. The label keeps the
-- warm-up's ids apart from the measured run's on the same server.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  prefix = args[1] .. "-" .. thread_number .. "-"
  template = args[2]
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = template:gsub("EXTERNAL_ID", prefix .. counter)
  return wrk.format(nil, nil, nil, body)
end
