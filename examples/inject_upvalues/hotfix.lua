local handles = _P.lua.handles
local print = _G.print

local function get_up(f)
    local u = {}
    if not f then
        return u
    end
    local i = 1
    while true do
        local name = debug.getupvalue(f, i)
        if name == nil then
            return u
        end
        u[name] = i
        i = i + 1
    end
    return u
end

local function uv_join(f, old_f, old_uv)
    local i = 1
    while true do
        local name = debug.getupvalue(f, i)
        if not name then
            break
        end

        if old_uv[name] then
            debug.upvaluejoin(f, i, old_f, old_uv[name])
        end
        i = i + 1
    end
end

local foo = handles.foo
local up = get_up(foo)

local N, T --定义两个upValue,否则函数里会变成全局变量
handles.foo = function()
    N = N + 200
    T.count = T.count + 100
    print("foo", N, T.count)
end

uv_join(handles.foo, foo, up)
