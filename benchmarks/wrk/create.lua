-- POST /v2/patient-contexts/ with a unique external_id per request (a duplicate would be a 400).
-- Usage: wrk -s create.lua URL -- <run-label>   (the label keeps warm-up and measured runs apart)
-- wrk gives every thread its own Lua state, so each thread gets a number in setup() and
-- counts on its own: external_id = <label>-<thread>-<counter>.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  prefix = (args[1] or "bench") .. "-" .. thread_number .. "-"
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer bench"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"external_id": "%s%d", "patient_group": "sqmcrfbv6fx4g04", "name": "John Doe", '
    .. '"birth_date": "1980-01-01", "gender": "male"}', prefix, counter)
  return wrk.format(nil, nil, nil, body)
end
