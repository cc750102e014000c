-- wrk script for `make loadtest` (bench/loadtest/run.py writes the data file and reads the LOADTEST line).
--   wrk -t1 -c8 -d10s -s bench/loadtest/lte.lua http://127.0.0.1:PORT -- DATAFILE MODE
-- DATAFILE: "A <token> <session key> <contact id>..." per account, "P <prefix>..." (search prefixes).
-- MODE: healthz | list | search | contact | page | note | mixed.
-- Every request picks an account (its bearer token or session cookie) and one of its contacts at random.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  table.insert(threads, thread)
end

local accounts, prefixes, mode = {}, {}, "list"
local json = { ["Content-Type"] = "application/json" }
local sent = 0

-- Globals (read back by done() through thread:get): responses by class.
r2xx, r3xx, r4xx, r5xx = 0, 0, 0, 0

function init(args)
  local path = args[1]
  mode = args[2] or "list"
  for line in io.lines(path) do
    local words = {}
    for word in line:gmatch("%S+") do table.insert(words, word) end
    if words[1] == "A" then
      local ids = {}
      for i = 4, #words do table.insert(ids, words[i]) end
      table.insert(accounts, { auth = "Bearer " .. words[2], cookie = "lte_session=" .. words[3], ids = ids })
    elseif words[1] == "P" then
      for i = 2, #words do table.insert(prefixes, words[i]) end
    end
  end
  math.randomseed(os.time() * 100 + (thread_id or 0))
end

local function pick(list) return list[math.random(#list)] end

local function api(account, method, path, body)
  local headers = { Authorization = account.auth }
  if body then headers["Content-Type"] = json["Content-Type"] end
  return wrk.format(method, "/api/v1" .. path, headers, body)
end

local function one(kind)
  if kind == "healthz" then return wrk.format("GET", "/healthz") end
  local account = pick(accounts)
  if kind == "list" then
    return api(account, "GET", "/contacts?limit=50")
  elseif kind == "search" then
    return api(account, "GET", "/contacts?q=" .. pick(prefixes))
  elseif kind == "contact" then
    return api(account, "GET", "/contacts/" .. pick(account.ids))
  elseif kind == "notes" then
    return api(account, "GET", "/contacts/" .. pick(account.ids) .. "/notes")
  elseif kind == "page" then
    return wrk.format("GET", "/app/contacts/" .. pick(account.ids) .. "/", { Cookie = account.cookie })
  elseif kind == "note" then
    sent = sent + 1
    return api(account, "POST", "/contacts/" .. pick(account.ids) .. "/notes",
      string.format('{"body": "Load test %d: called back, wants the autumn catalogue."}', sent))
  end
  error("unknown mode " .. kind)
end

-- A seller's day, mostly reads: search 30 %, a contact 25 %, the list 20 %, a contact's notes 10 %,
-- the contact page 5 %, a new note 10 % (the writes).
local MIX = { { 30, "search" }, { 25, "contact" }, { 20, "list" }, { 10, "notes" }, { 5, "page" }, { 10, "note" } }

function request()
  if mode ~= "mixed" then return one(mode) end
  local roll = math.random(100)
  for _, entry in ipairs(MIX) do
    if roll <= entry[1] then return one(entry[2]) end
    roll = roll - entry[1]
  end
  return one("list")
end

function response(status, headers, body)
  if status < 300 then r2xx = r2xx + 1
  elseif status < 400 then r3xx = r3xx + 1
  elseif status < 500 then r4xx = r4xx + 1
  else r5xx = r5xx + 1 end
end

function done(summary, latency, requests)
  local c2, c3, c4, c5 = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    c2 = c2 + thread:get("r2xx")
    c3 = c3 + thread:get("r3xx")
    c4 = c4 + thread:get("r4xx")
    c5 = c5 + thread:get("r5xx")
  end
  local e = summary.errors
  io.write(string.format(
    "LOADTEST requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "r2xx=%d r3xx=%d r4xx=%d r5xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, math.floor(latency:percentile(50)), math.floor(latency:percentile(90)),
    math.floor(latency:percentile(99)), latency.max, c2, c3, c4, c5, e.connect, e.read, e.write, e.timeout))
end
