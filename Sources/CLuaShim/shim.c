#include "CLuaShim.h"

static int traceback_handler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int shim_pcall_traceback(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback_handler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

int shim_loadbuffer(lua_State *L, const char *buf, size_t size, const char *chunkname, const char *mode) {
    return luaL_loadbufferx(L, buf, size, chunkname, mode);
}

static int pushlstring_body(lua_State *L) {
    const char *s = (const char *)lua_touserdata(L, 1);
    size_t len = (size_t)lua_tointeger(L, 2);
    lua_pushlstring(L, s, len);
    return 1;
}

int shim_pushlstring_protected(lua_State *L, const char *s, size_t len) {
    lua_pushcfunction(L, pushlstring_body);
    lua_pushlightuserdata(L, (void *)s);
    lua_pushinteger(L, (lua_Integer)len);
    return lua_pcall(L, 2, 1, 0);  // the string, or the error message
}

static int createtable_body(lua_State *L) {
    lua_createtable(L, (int)lua_tointeger(L, 1), (int)lua_tointeger(L, 2));
    return 1;
}

int shim_createtable_protected(lua_State *L, int narr, int nrec) {
    lua_pushcfunction(L, createtable_body);
    lua_pushinteger(L, narr);
    lua_pushinteger(L, nrec);
    return lua_pcall(L, 2, 1, 0);  // the table, or the error message
}

static int rawsetfield_body(lua_State *L) {
    // 1: table, 2: key (lightuserdata C string), 3: value
    lua_pushstring(L, (const char *)lua_touserdata(L, 2));
    lua_pushvalue(L, 3);
    lua_rawset(L, 1);
    return 0;
}

int shim_rawsetfield_protected(lua_State *L, int t, const char *k) {
    t = lua_absindex(L, t);
    if (!lua_checkstack(L, 5)) { lua_pop(L, 1); lua_pushliteral(L, "stack overflow"); return LUA_ERRMEM; }
    lua_pushcfunction(L, rawsetfield_body);
    lua_pushvalue(L, t);
    lua_pushlightuserdata(L, (void *)k);
    lua_pushvalue(L, -4);
    int status = lua_pcall(L, 3, 0, 0);
    if (status != LUA_OK) lua_remove(L, -2);  // drop the value, keep the message
    else lua_pop(L, 1);
    return status;
}

static int rawseti_body(lua_State *L) {
    lua_pushvalue(L, 3);
    lua_rawseti(L, 1, lua_tointeger(L, 2));
    return 0;
}

int shim_rawseti_protected(lua_State *L, int t, lua_Integer i) {
    t = lua_absindex(L, t);
    if (!lua_checkstack(L, 5)) { lua_pop(L, 1); lua_pushliteral(L, "stack overflow"); return LUA_ERRMEM; }
    lua_pushcfunction(L, rawseti_body);
    lua_pushvalue(L, t);
    lua_pushinteger(L, i);
    lua_pushvalue(L, -4);
    int status = lua_pcall(L, 3, 0, 0);
    if (status != LUA_OK) lua_remove(L, -2);  // drop the value, keep the message
    else lua_pop(L, 1);
    return status;
}

static int openlibs_body(lua_State *L) {
    luaL_openlibs(L);
    return 0;
}

int shim_openlibs_protected(lua_State *L) {
    lua_pushcfunction(L, openlibs_body);
    int status = lua_pcall(L, 0, 0, 0);
    return status;
}

// A Swift function lives in a full userdata that is the closure's only upvalue; when Lua
// collects the closure, __gc hands the context back to Swift to release.
struct swift_function_box {
    shim_swift_function fn;
    void *context;
    shim_swift_release release;
};

static int swift_trampoline(lua_State *L) {
    struct swift_function_box *box = (struct swift_function_box *)lua_touserdata(L, lua_upvalueindex(1));
    int n = box->fn(L, box->context);
    if (n < 0) return lua_error(L);  // Swift has returned: raising here crosses no Swift frame.
    return n;
}

static int swift_function_gc(lua_State *L) {
    struct swift_function_box *box = (struct swift_function_box *)lua_touserdata(L, 1);
    if (box->release && box->context) box->release(box->context);
    box->context = NULL;
    return 0;
}

static const char swift_function_meta = 0;

static int pushswiftfunction_body(lua_State *L) {
    struct swift_function_box *box = (struct swift_function_box *)lua_newuserdatauv(L, sizeof(*box), 0);
    box->fn = NULL;
    box->context = NULL;
    box->release = NULL;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &swift_function_meta) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 1);
        lua_pushcfunction(L, swift_function_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &swift_function_meta);
    }
    lua_setmetatable(L, -2);
    // Only now, with nothing left that can fail before the closure exists, take the context.
    struct swift_function_box *args = (struct swift_function_box *)lua_touserdata(L, 1);
    lua_pushcclosure(L, swift_trampoline, 1);
    box->fn = args->fn;
    box->context = args->context;
    box->release = args->release;
    return 1;
}

int shim_pushswiftfunction(lua_State *L, shim_swift_function fn, void *context, shim_swift_release release) {
    struct swift_function_box args = { fn, context, release };
    lua_pushcfunction(L, pushswiftfunction_body);
    lua_pushlightuserdata(L, &args);
    return lua_pcall(L, 1, 1, 0);
}
