-- Stop wrk after a number of responses instead of after a duration: `wrk ... -s X.lua URL -- N`.
-- A duration gives a fast machine more requests than a slow one, so two recordings of the
-- same profile differed in size and mix; a count does not. (Loaded by mix.lua and gzip.lua.)
local limit = 0
local answered = 0
init = function(args)
  limit = tonumber(args[1]) or 0
end
response = function(status, headers, body)
  answered = answered + 1
  if limit > 0 and answered == limit then
    wrk.thread:stop()
    -- wrk's main thread sleeps for the whole -d duration; SIGINT (what Ctrl-C sends) wakes
    -- it to print the summary and exit. The shell os.execute starts is wrk's child; the
    -- signal is sent a moment later from the background, since system() ignores SIGINT
    -- in wrk until the shell returns.
    os.execute("(sleep 0.2; kill -INT $PPID) &")
  end
end
