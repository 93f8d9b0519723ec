-- The request mix for wrk, rotating through four kinds of discard request:
--   fresh   a pending instance never asked for before (200 from the mock)
--   repeat  the last fresh instance again (409: a discard is not idempotent)
--   unknown an ID that was never seeded (404)
--   nokey   no Authorization header (401)
-- Instance IDs are a fixed prefix and an 8-hex index (see bench/datafile.py), so
-- the script needs no list of IDs: arguments say where its block of indexes starts.
-- Arguments (after --): first count group key instance_prefix campaign_prefix campaigns unknown_prefix pattern
-- where pattern is a string over f/r/u/n, e.g. "frfufrfnfr".
-- done() prints one line: "BENCH-RESULT {json}".

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("tid", thread_count - 1)
   table.insert(threads, thread)
end

local cfg = {}
local counter = 0
local next_fresh, end_fresh
local last_fresh = nil
local kinds = {}
counts = {}
fresh_used = 0

local function path(index, prefix)
   local campaign = string.format("%s%08x", cfg.campaign_prefix, index % cfg.campaigns)
   return string.format("/v1/accounts/%s/campaigns/%s/workflow-instances/%s%08x/discard",
      cfg.group, campaign, prefix, index)
end

function init(args)
   local first, count = tonumber(args[1]), tonumber(args[2])
   cfg.group, cfg.key = args[3], args[4]
   cfg.instance_prefix, cfg.campaign_prefix = args[5], args[6]
   cfg.campaigns, cfg.unknown_prefix = tonumber(args[7]), args[8]
   local pattern = args[9]
   local threads_total = tonumber(args[10])
   for i = 1, #pattern do kinds[i] = pattern:sub(i, i) end
   -- each thread takes its own slice of the block, so no index is used twice
   local per_thread = math.floor(count / threads_total)
   next_fresh = first + tid * per_thread
   end_fresh = next_fresh + per_thread
   cfg.auth = { ["Authorization"] = "Bearer " .. cfg.key }
   cfg.none = {}
end

function request()
   counter = counter + 1
   local kind = kinds[(counter - 1) % #kinds + 1]
   if kind == "r" and last_fresh == nil then kind = "u" end
   if kind == "f" then
      if next_fresh >= end_fresh then
         kind = "r"  -- block used up: a repeat (409) rather than an ID that is not there
         if last_fresh == nil then kind = "u" end
      else
         last_fresh = next_fresh
         next_fresh = next_fresh + 1
         fresh_used = fresh_used + 1
         return wrk.format("POST", path(last_fresh, cfg.instance_prefix), cfg.auth)
      end
   end
   if kind == "r" then
      return wrk.format("POST", path(last_fresh, cfg.instance_prefix), cfg.auth)
   elseif kind == "u" then
      return wrk.format("POST", path(counter, cfg.unknown_prefix), cfg.auth)
   end
   return wrk.format("POST", path(counter, cfg.instance_prefix), cfg.none)
end

function response(status, headers, body)
   counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
   local statuses = {}
   local fresh = 0
   for _, thread in ipairs(threads) do
      local c = thread:get("counts")
      for status, n in pairs(c) do statuses[status] = (statuses[status] or 0) + n end
      fresh = fresh + thread:get("fresh_used")
   end
   local parts = {}
   for status, n in pairs(statuses) do table.insert(parts, string.format('"%d": %d', status, n)) end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
      '"max_us": %d, "mean_us": %.1f, "fresh_used": %d, "statuses": {%s}, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean, fresh, table.concat(parts, ", "),
      e.connect, e.read, e.write, e.timeout))
end
