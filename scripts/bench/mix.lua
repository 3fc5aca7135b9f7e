-- wrk request mix for the squirrel-sniff benchmark (scripts/make-bench-capture.sh).
-- Cycles over small pages, gzip-compressed text (sent chunked by nginx), an SSI page
-- (chunked, uncompressed) and a small form POST, all on keep-alive connections.
-- `wrk ... -s mix.lua URL -- N` stops after N responses (see limit.lua), so the capture holds
-- the same requests however fast the machine is.
local requests = {
  { "GET",  "/index.html",      { ["Accept-Encoding"] = "gzip" } },
  { "GET",  "/text/log.txt",    { ["Accept-Encoding"] = "gzip, deflate" } },
  { "GET",  "/ping.txt",        {} },
  { "GET",  "/text/data.json",  { ["Accept-Encoding"] = "gzip" } },
  { "GET",  "/ssi/page.shtml",  { ["User-Agent"] = "squirrel-bench" } },
  { "POST", "/login",           { ["Content-Type"] = "application/x-www-form-urlencoded" },
    "user=alice&password=acorns-4-winter" },
  { "GET",  "/text/data.json",  {} },
}
local i = 0
request = function()
  i = i % #requests + 1
  local r = requests[i]
  local headers = {}
  for k, v in pairs(r[3]) do headers[k] = v end
  return wrk.format(r[1], r[2], headers, r[4])
end
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "limit.lua")
