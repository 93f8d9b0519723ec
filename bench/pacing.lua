-- Appended to mix.lua for a paced run: requests leave on a fixed schedule of
-- RATE per second per thread (set by the line the bench prepends), whatever the
-- connection, instead of as fast as answers come back. A request whose slot has
-- passed leaves at once. Latency is measured from sending, so it is the server's.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local now_ts = ffi.new("bench_timespec")
local function now_ms()
   ffi.C.clock_gettime(1, now_ts)  -- CLOCK_MONOTONIC
   return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local interval_ms = 1000 / BENCH_RATE_PER_THREAD
local next_slot = nil

function delay()
   local now = now_ms()
   if next_slot == nil then next_slot = now end
   local slot = next_slot
   next_slot = next_slot + interval_ms
   if slot <= now then return 0 end
   return math.floor(slot - now + 0.5)
end
