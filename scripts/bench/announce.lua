-- wrk script: random valid announces over SWARMS torrents, from random peers.
-- Info hashes are the 20 ASCII digits of the swarm number, so a whitelist can
-- name them (opentracker -w).
local swarms = tonumber(os.getenv("SWARMS") or "1000")

local function encode(bytes)
  return (bytes:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

math.randomseed(os.time() + math.floor(os.clock() * 1e6))

request = function()
  local swarm = math.random(0, swarms - 1)
  local info_hash = string.format("%020d", swarm)
  local peer_id = "-WK0001-" .. string.format("%012d", math.random(0, 999999999999))
  local port = math.random(1024, 65535)
  local left = math.random(0, 3) == 0 and 0 or 1000
  local path = "/announce?info_hash=" .. encode(info_hash) .. "&peer_id=" .. encode(peer_id) ..
    "&port=" .. port .. "&uploaded=0&downloaded=0&left=" .. left .. "&compact=1&numwant=50"
  return wrk.format("GET", path)
end
