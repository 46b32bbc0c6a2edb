import CLua
import Lua
import Testing

@Suite struct LuaStateTests {
    @Test func runsAChunkAndReadsItsResult() throws {
        let lua = try LuaState()
        try lua.load("return 6 * 7", chunkName: "=test")
        try lua.call(arguments: 0, results: 1)
        #expect(lua.integer(at: -1) == 42)
    }

    @Test func syntaxErrorIsThrownNotRaised() throws {
        let lua = try LuaState()
        #expect {
            try lua.load("return +", chunkName: "@broken.lua")
        } throws: { error in
            let e = error as! LuaError
            return e.isSyntaxError && e.message.contains("broken.lua:1")
        }
        #expect(lua.top == 0)
    }

    @Test func runtimeErrorCarriesATraceback() throws {
        let lua = try LuaState()
        try lua.load("local function inner() error('boom') end\ninner()", chunkName: "@t.lua")
        #expect {
            try lua.call(arguments: 0)
        } throws: { error in
            let message = (error as! LuaError).message
            return message.contains("t.lua:1: boom") && message.contains("stack traceback")
        }
    }

    @Test func swiftFunctionRaisesThroughTheTrampoline() throws {
        let lua = try LuaState()
        try lua.pushFunction { L in
            let state = LuaState(borrowing: L)
            guard let n = state.integer(at: 1) else { return state.raise("need an integer") }
            state.push(n * 2)
            return 1
        }
        lua_setglobal(lua.raw, "double")
        try lua.load("local ok, e = pcall(double, 'x'); return double(21), ok, e", chunkName: "=t")
        try lua.call(arguments: 0, results: 3)
        #expect(lua.integer(at: -3) == 42)
        #expect(lua_toboolean(lua.raw, -2) == 0)
        #expect(lua.string(at: -1) == "need an integer")
    }

    @Test func preloadedModuleIsRequired() throws {
        let lua = try LuaState()
        try lua.preload("greeter") { L in
            let state = LuaState(borrowing: L)
            do {
                try state.pushModule([("hello", { L in LuaState(borrowing: L).pushResult("hi") })])
                return 1
            } catch {
                return -1
            }
        }
        try lua.load("return require('greeter').hello()", chunkName: "=t")
        try lua.call(arguments: 0, results: 1)
        #expect(lua.string(at: -1) == "hi")
    }
}
