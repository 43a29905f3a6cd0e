-- wrk script: each request posts a new comment as a different reader, from
-- a different client address (X-Forwarded-For; the server trusts it from
-- 127.0.0.1 only), each with its own form token from the file DL_TOKENS
-- (one a line; a token sends three comments at most). DL_THREADS is wrk's
-- thread count, so that no two threads take the same token.
local tokens = {}
for line in io.lines(os.getenv("DL_TOKENS")) do
  tokens[#tokens + 1] = line
end
local stride = tonumber(os.getenv("DL_THREADS") or "2")
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  n = 0
end

request = function()
  n = n + 1
  local token = tokens[((n - 1) * stride + tid) % #tokens + 1]
  local ip = string.format("172.%d.%d.%d", 16 + tid, math.floor(n / 250) % 250, n % 250)
  local body = string.format(
    "body=Posted+by+reader+%d-%d%%3A+the+*quay*+is+open+again.&name=Reader+%d&email=p%d-%d%%40bench.test&token=%s",
    tid, n, n, tid, n, token)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["X-Forwarded-For"] = ip,
  }, body)
end
