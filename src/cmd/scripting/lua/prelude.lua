-- Builds the environment scripts run in, the way Redis 7.0 sets up its Lua interpreter.
--
-- Called once per interpreter with the real globals table, the debug library (which scripts do not
-- see), the marker Rust functions return to report an error, and the Rust functions themselves.
-- Returns the handle Rust drives the interpreter with.
--
-- Redis patches Lua so that tables can be made read-only; stock Lua cannot do that, so scripts
-- see read-only proxies instead: the globals table and every library table are empty tables whose
-- metatable reads through to the real one and refuses writes.

local G, debug, ERROR, api = ...
local select = select
local error, type, tostring, pairs, ipairs, next, rawset, setmetatable, xpcall, setfenv =
      error, type, tostring, pairs, ipairs, next, rawset, setmetatable, xpcall, setfenv
local getinfo = debug.getinfo
local INTERNAL = '=pgredis'

-- Rust functions report errors by returning ERROR and the message; make_checked wraps one in a C
-- function that raises it the way a C function of Redis does, with no position in front.
local wrap = api.make_checked
local function wrap_all(raw)
  local t = {}
  for k, v in pairs(raw) do
    if type(v) == 'function' then t[k] = wrap(v) else t[k] = v end
  end
  return t
end

-- Read-only proxies, each mapped to the table it stands for (pairs, next and ipairs see that).
local readonly = setmetatable({}, {__mode = 'k'})
local function deny() error('Attempt to modify a readonly table', 2) end
local function protect(t)
  local proxy = setmetatable({}, {__index = t, __newindex = deny, __metatable = false})
  readonly[proxy] = t
  return proxy
end
-- A proxy that also refuses to read a missing name, as the globals table does.
local function strict(lookup, t)
  local proxy = setmetatable({}, {
    __index = function(_, name)
      local v = lookup(name)
      if v == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
      end
      return v
    end,
    __newindex = deny,
    __metatable = false,
  })
  readonly[proxy] = t or {}
  return proxy
end

-- redis.call and redis.pcall: Rust runs the command and says whether to raise the reply.
local redis_call = api.make_call(api.call, true)
local redis_pcall = api.make_call(api.call, false)

local redis = wrap_all(api.redis)
redis.call = redis_call
redis.pcall = redis_pcall

G.redis = protect(redis)
for _, name in pairs({'cjson', 'cmsgpack', 'bit', 'struct'}) do
  G[name] = protect(wrap_all(api[name]))
end
local math = G.math
math.random = wrap(api.random.random)
math.randomseed = wrap(api.random.randomseed)
for _, name in pairs({'string', 'table', 'math', 'coroutine'}) do
  G[name] = protect(G[name])
end

-- Base functions that see through the proxies (in Rust, behind C trampolines like Redis's own).
do
  local registry = debug.getregistry()
  registry.pgredis_readonly = readonly
  registry.pgredis_next = next
  registry.pgredis_pairs = pairs
  registry.pgredis_ipairs = ipairs
  for _, name in pairs({'rawset', 'setmetatable', 'next', 'pairs', 'ipairs'}) do
    G[name] = wrap(api.base[name])
  end
end

-- While FUNCTION LOAD runs a library, its globals are only `redis` with register_function, log
-- and the constants; functions it registers see the full globals when FCALL calls them.
local function library_api(register)
  local r = wrap_all(api.library_redis)
  r.register_function = register
  local lib_redis = strict(function(name) return r[name] end, r)
  return function(name) if name == 'redis' then return lib_redis end end
end

local lookup = function(name) return G[name] end
local current = lookup
local globals = strict(function(name) return current(name) end, G)
G._G = globals

-- The message handler: an error becomes a table {err=..., source=..., line=...} naming the line
-- of the script that failed (Rust frames, this file's frames and tail calls are skipped).
local stop_message = api.stop_message
local function handler(err)
  if type(err) == 'userdata' then
    local stop = stop_message()
    if stop then err = {err = stop} end
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  local level = 2
  while true do
    local i = getinfo(level, 'Sl')
    if not i then break end
    if i.what ~= 'C' and i.what ~= 'tail' and i.source ~= INTERNAL then
      err.source = i.source
      err.line = i.currentline
      break
    end
    level = level + 1
  end
  return err
end

G.__redis__err__handler = handler

-- Redis's pcall hands back the message of an error table rather than the table.
do
  local pcall_, rawget_ = pcall, rawget
  local function message(ok, ...)
    if not ok then
      local e = ...
      if type(e) == 'table' then
        local m = rawget_(e, 'err')
        if type(m) == 'string' or type(m) == 'number' then return false, m end
      end
    end
    return ok, ...
  end
  G.pcall = function(...)
    if select('#', ...) == 0 then return false end
    local pcall = pcall_
    return message(pcall(...))
  end
end

-- Only the globals Redis 7.0 offers stay.
local allowed = {}
for _, name in pairs({'ARGV', 'KEYS', '_G', '_VERSION', '__redis__err__handler', 'assert', 'bit',
    'cjson', 'cmsgpack', 'collectgarbage', 'coroutine', 'error', 'gcinfo', 'getmetatable',
    'ipairs', 'load', 'loadstring', 'math', 'next', 'pairs', 'pcall', 'rawequal', 'rawget',
    'rawset', 'redis', 'select', 'setmetatable', 'string', 'struct', 'table', 'tonumber',
    'tostring', 'type', 'unpack', 'xpcall'}) do
  allowed[name] = true
end
local names = {}
for name in pairs(G) do names[#names + 1] = name end
for _, name in ipairs(names) do
  if not allowed[name] then G[name] = nil end
end
setfenv(0, globals)

local handle = {globals = globals}

-- Runs an EVAL script with KEYS and ARGV set.
function handle.run_script(f, keys, argv)
  rawset(G, 'KEYS', keys)
  rawset(G, 'ARGV', argv)
  setfenv(f, globals)
  return xpcall(f, handler)
end

-- Runs a library's code with the library globals and `register` as redis.register_function.
-- Returns true, or false and the error.
function handle.load_library(f, register)
  current = library_api(wrap(register))
  setfenv(f, globals)
  local ok, err = xpcall(f, function(e)
    if type(e) == 'userdata' then
      local stop = stop_message()
      if stop then return stop end
    end
    if type(e) == 'table' then return e.err end
    return 'ERR ' .. tostring(e)
  end)
  current = lookup
  return ok, err
end

-- Calls a registered function with its keys and args.
function handle.run_function(f, keys, args)
  return xpcall(function() return f(keys, args) end, handler)
end

return handle
