-- Sends WRK_PIPELINE (default 16) GET /plaintext requests per write, the
-- TechEmpower plaintext way; wrk counts and checks every response.
local depth = tonumber(os.getenv("WRK_PIPELINE") or "16")

init = function(args)
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format(nil, "/plaintext")
  end
  req = table.concat(r)
end

request = function()
  return req
end
