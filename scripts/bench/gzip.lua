-- wrk request mix for the gzip-heavy benchmark capture (make-bench-capture.sh --profile gzip).
-- Every request asks for a compressible document with Accept-Encoding: gzip, so nginx answers
-- each one with a gzip-compressed, chunked body; keep-alive connections. `-- N` after the
-- URL stops after N responses (see limit.lua).
local paths = { "/text/log.txt", "/text/data.json", "/text/page.html", "/text/log.txt?v=2" }
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept-Encoding"] = "gzip" })
end
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "limit.lua")
