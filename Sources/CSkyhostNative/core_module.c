// skynet.core and skynet.profile: argument handling for the Swift runtime (see skyhost_native.h).

#include "skyhost_native.h"
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <time.h>

static const char callback_key = 0;  // registry key of the service's message callback

static void switch_thread(struct skyhost_binding *b, lua_State *L);
static void wait_signaller(struct skyhost_binding *b);

/// Reads a message argument at `index` (string, or lightuserdata + size, or nil) and returns a
/// malloc'd block the host can own.
static void *message_arg(lua_State *L, int index, size_t *sz) {
    switch (lua_type(L, index)) {
    case LUA_TNONE:
    case LUA_TNIL:
        *sz = 0;
        return NULL;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, index, &len);
        *sz = len;
        if (len == 0) return NULL;
        void *copy = malloc(len);
        if (copy == NULL) luaL_error(L, "send: out of memory");
        memcpy(copy, s, len);
        return copy;
    }
    case LUA_TLIGHTUSERDATA: {
        void *p = lua_touserdata(L, index);
        lua_Integer n = luaL_checkinteger(L, index + 1);
        if (n < 0) luaL_error(L, "send: negative size %d", (int)n);
        *sz = (size_t)n;
        return p;
    }
    default:
        luaL_error(L, "invalid message of type %s", luaL_typename(L, index));
        return NULL;
    }
}

static int deliver(lua_State *L, struct skyhost_binding *b, int dest_index, uint32_t source,
                   int ptype, int session, int msg_index) {
    int dest_type = lua_type(L, dest_index);
    uint32_t dest = 0;
    const char *name = NULL;
    if (dest_type == LUA_TNUMBER) {
        dest = (uint32_t)luaL_checkinteger(L, dest_index);
        if (dest == 0) return luaL_error(L, "Invalid address 0");
    } else if (dest_type == LUA_TSTRING) {
        name = lua_tostring(L, dest_index);
    } else {
        return luaL_error(L, "invalid address type %s", luaL_typename(L, dest_index));
    }
    size_t sz;
    void *data = message_arg(L, msg_index, &sz);  // last thing that can raise
    int r = name ? b->host->sendname(b->ctx, source, name, ptype, session, data, sz)
                 : b->host->send(b->ctx, source, dest, ptype, session, data, sz);
    return r;
}

// send(dest, ptype, session|nil, msg, sz) -> session | nil (unknown destination)
static int l_send(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    int ptype = (int)luaL_checkinteger(L, 2);
    int session;
    if (lua_isnoneornil(L, 3)) session = b->host->genid(b->ctx);
    else session = (int)luaL_checkinteger(L, 3);
    if (deliver(L, b, 1, b->handle, ptype, session, 4) != 0) return 0;
    lua_pushinteger(L, session);
    return 1;
}

// redirect(dest, source, ptype, session, msg, sz) -> true | nil. Source 0 is the calling
// service, as in Skynet's skynet_send (the gate redirects a client's packets with client 0).
static int l_redirect(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    uint32_t source = (uint32_t)luaL_checkinteger(L, 2);
    if (source == 0) source = b->handle;
    int ptype = (int)luaL_checkinteger(L, 3);
    int session = (int)luaL_optinteger(L, 4, 0);
    if (deliver(L, b, 1, source, ptype, session, 5) != 0) return 0;
    lua_pushboolean(L, 1);
    return 1;
}

static int l_genid(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    lua_pushinteger(L, b->host->genid(b->ctx));
    return 1;
}

// callback(f): f(ptype, msg, sz, session, source) receives every message from then on.
static int l_callback(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &callback_key);
    return 0;
}

static const char *command_param(lua_State *L, int index) {
    switch (lua_type(L, index)) {
    case LUA_TNONE:
    case LUA_TNIL:
        return NULL;
    case LUA_TNUMBER:
        lua_pushvalue(L, index);  // convert a copy, leave the argument alone
        lua_replace(L, index);
        return lua_tostring(L, index);
    default:
        return luaL_checkstring(L, index);
    }
}

static int l_command(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    const char *cmd = luaL_checkstring(L, 1);
    const char *param = command_param(L, 2);
    const char *result = b->host->command(b->ctx, cmd, param);
    if (result == NULL) return 0;
    lua_pushstring(L, result);
    return 1;
}

static int l_intcommand(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    const char *cmd = luaL_checkstring(L, 1);
    const char *param = command_param(L, 2);
    const char *result = b->host->command(b->ctx, cmd, param);
    if (result == NULL) return 0;
    char *end;
    double d = strtod(result, &end);
    if (end == result) return 0;
    if (d == (double)(lua_Integer)d) lua_pushinteger(L, (lua_Integer)d);
    else lua_pushnumber(L, d);
    return 1;
}

// addresscommand(cmd, param) -> handle: commands answering ":0000000a".
static int l_addresscommand(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    const char *cmd = luaL_checkstring(L, 1);
    const char *param = command_param(L, 2);
    const char *result = b->host->command(b->ctx, cmd, param);
    if (result == NULL || result[0] != ':') return 0;
    lua_pushinteger(L, (lua_Integer)strtoul(result + 1, NULL, 16));
    return 1;
}

/// Joins the arguments' string forms with `sep` into a Lua string on the top of the stack.
static const char *join_args(lua_State *L, const char *sep, size_t *len) {
    int n = lua_gettop(L);
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addstring(&buffer, sep);
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&buffer);
    }
    luaL_pushresult(&buffer);
    return lua_tolstring(L, -1, len);
}

// error(...): skynet.error; arguments joined with one space.
static int l_error(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    size_t len;
    const char *text = join_args(L, " ", &len);
    b->host->log(b->ctx, text, len);
    return 0;
}

// print(...): Lua's print, through the node's standard output.
static int l_print(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    size_t len;
    join_args(L, "\t", &len);
    lua_pushliteral(L, "\n");
    lua_concat(L, 2);
    const char *text = lua_tolstring(L, -1, &len);
    b->host->print(b->ctx, text, len);
    return 0;
}

static int l_tostring(lua_State *L) {
    if (lua_isnoneornil(L, 1)) return 0;
    if (lua_type(L, 1) == LUA_TSTRING) {
        lua_settop(L, 1);
        return 1;
    }
    const char *p = (const char *)lua_touserdata(L, 1);
    lua_Integer sz = luaL_checkinteger(L, 2);
    if (p == NULL || sz <= 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    lua_pushlstring(L, p, (size_t)sz);
    return 1;
}

static int l_trash(lua_State *L) {
    if (lua_type(L, 1) == LUA_TLIGHTUSERDATA) free(lua_touserdata(L, 1));
    return 0;
}

static int l_now(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    lua_pushinteger(L, (lua_Integer)b->host->now(b->ctx));
    return 1;
}

static uint64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int l_hpc(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)monotonic_ns());
    return 1;
}

static int l_self(lua_State *L) {
    lua_pushinteger(L, skyhost_binding_of(L)->handle);
    return 1;
}

// memlimit(bytes): from now on an allocation that would pass `bytes` fails ("not enough memory").
static int l_memlimit(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    lua_Integer limit = luaL_checkinteger(L, 1);
    lua_pushinteger(L, (lua_Integer)b->memory.limit);
    b->memory.limit = limit > 0 ? (size_t)limit : 0;
    return 1;
}

// memory() -> bytes allocated by this service's lua_State
static int l_memory(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)skyhost_memory_used(skyhost_binding_of(L)));
    return 1;
}

// reload(step, requester, session, data, text) -> true, or nothing when the step is out of turn:
// the steps of a reload in place (lualib/skynet/api/reload.lua drives them; see skyhost_host).
static int l_reload(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    const char *step = luaL_checkstring(L, 1);
    uint32_t requester = (uint32_t)luaL_optinteger(L, 2, 0);
    int session = (int)luaL_optinteger(L, 3, 0);
    size_t size = 0;
    const char *data = luaL_optlstring(L, 4, "", &size);
    const char *text = luaL_optstring(L, 5, "");
    if (b->host->reload(b->ctx, step, requester, session, data, size, text) != 0) return 0;
    lua_pushboolean(L, 1);
    return 1;
}

// reloaded() -> the bytes the previous state handed over (a skynet.packstring), or nothing on an
// ordinary start.
static int l_reloaded(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    size_t size = 0;
    const void *data = b->host->handover(b->ctx, &size);
    if (data == NULL) return 0;
    lua_pushlstring(L, (const char *)data, size);
    return 1;
}

static int open_core(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"send", l_send}, {"redirect", l_redirect}, {"genid", l_genid},
        {"callback", l_callback}, {"command", l_command}, {"intcommand", l_intcommand},
        {"addresscommand", l_addresscommand}, {"error", l_error}, {"tostring", l_tostring},
        {"trash", l_trash}, {"now", l_now}, {"hpc", l_hpc}, {"self", l_self},
        {"memlimit", l_memlimit}, {"memory", l_memory}, {"reload", l_reload},
        {"reloaded", l_reloaded}, {NULL, NULL},
    };
    luaL_newlib(L, functions);
    lua_pushcfunction(L, skyhost_lua_pack);
    lua_setfield(L, -2, "pack");
    lua_pushcfunction(L, skyhost_lua_unpack);
    lua_setfield(L, -2, "unpack");
    lua_pushcfunction(L, skyhost_lua_packstring);
    lua_setfield(L, -2, "packstring");
    return 1;
}

// ---- skynet.profile ---------------------------------------------------------------------------
// CPU time of coroutines: start() / stop() bracket the running coroutine; resume() is
// coroutine.resume that stops the clock of the resumed coroutine while it is suspended.

static double thread_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define PROFILE_START lua_upvalueindex(1)
#define PROFILE_TOTAL lua_upvalueindex(2)
#define PROFILE_RESUME lua_upvalueindex(3)

static int profile_start(lua_State *L) {
    if (lua_gettop(L) == 0) lua_pushthread(L);
    lua_settop(L, 1);
    luaL_checktype(L, 1, LUA_TTHREAD);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, PROFILE_START) != LUA_TNIL)
        return luaL_error(L, "Thread %p start profile more than once", lua_topointer(L, 1));
    lua_pushvalue(L, 1);
    lua_pushnumber(L, 0);
    lua_rawset(L, PROFILE_TOTAL);
    lua_pushvalue(L, 1);
    lua_pushnumber(L, thread_seconds());
    lua_rawset(L, PROFILE_START);
    skyhost_binding_of(L)->profiling++;
    return 0;
}

static int profile_stop(lua_State *L) {
    if (lua_gettop(L) == 0) lua_pushthread(L);
    lua_settop(L, 1);
    luaL_checktype(L, 1, LUA_TTHREAD);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, PROFILE_START) == LUA_TNIL)
        return luaL_error(L, "Call profile.stop() before profile.start()");
    double started = lua_tonumber(L, -1);
    lua_pushvalue(L, 1);
    lua_rawget(L, PROFILE_TOTAL);
    double total = lua_tonumber(L, -1) + (thread_seconds() - started);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, PROFILE_START);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, PROFILE_TOTAL);
    lua_pushnumber(L, total);
    skyhost_binding_of(L)->profiling--;
    return 1;
}

static int profile_resume(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 1, LUA_TTHREAD);
    struct skyhost_binding *b = skyhost_binding_of(L);
    // The bookkeeping only runs while some coroutine of this service is being timed.
    if (b->profiling > 0) {
        lua_pushvalue(L, 1);
        if (lua_rawget(L, PROFILE_TOTAL) != LUA_TNIL) {  // profiled: its clock runs again
            lua_pushvalue(L, 1);
            lua_pushnumber(L, thread_seconds());
            lua_rawset(L, PROFILE_START);
        }
        lua_pop(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_insert(L, 1);                 // keep the thread below the call: [co, co, args...]
    lua_pushvalue(L, PROFILE_RESUME);
    lua_insert(L, 2);                 // [co, resume, co, args...]
    switch_thread(b, lua_tothread(L, 1));
    lua_call(L, n, LUA_MULTRET);      // coroutine.resume itself never yields
    wait_signaller(b);
    switch_thread(b, L);
    // The coroutine is suspended (or dead): stop its clock if profile.start() is in force
    // (possibly called during this very resume).
    if (b->profiling > 0) {
        lua_pushvalue(L, 1);
        if (lua_rawget(L, PROFILE_START) == LUA_TNUMBER) {
            double elapsed = thread_seconds() - lua_tonumber(L, -1);
            lua_pushvalue(L, 1);
            lua_rawget(L, PROFILE_TOTAL);
            double total = lua_tonumber(L, -1) + elapsed;
            lua_pop(L, 1);
            lua_pushvalue(L, 1);
            lua_pushnumber(L, total);
            lua_rawset(L, PROFILE_TOTAL);
        }
        lua_pop(L, 1);
    }
    return lua_gettop(L) - 1;
}

static int open_profile(lua_State *L) {
    lua_newtable(L);  // result module
    // Weak-keyed tables of start time and accumulated total per coroutine.
    for (int i = 0; i < 2; i++) {
        lua_newtable(L);
        lua_newtable(L);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
    }
    lua_getglobal(L, "coroutine");
    lua_getfield(L, -1, "resume");
    lua_getfield(L, -2, "yield");
    lua_setfield(L, -6, "yield");
    lua_remove(L, -2);  // coroutine table
    // stack: module, start, total, resume
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, profile_start, 2);
    lua_setfield(L, -5, "start");
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_pushcclosure(L, profile_stop, 2);
    lua_setfield(L, -5, "stop");
    lua_pushcclosure(L, profile_resume, 3);
    lua_setfield(L, -2, "resume");
    return 1;
}

// ---- installation -----------------------------------------------------------------------------

static int install(lua_State *L) {
    struct skyhost_binding *b = (struct skyhost_binding *)lua_touserdata(L, 1);
    void *ud = NULL;
    if (lua_getallocf(L, &ud) != skyhost_alloc || ud != &b->memory)
        return luaL_error(L, "skynet.core needs the service's allocator (skyhost_alloc)");
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, open_core);
    lua_setfield(L, -2, "skynet.core");
    lua_pushcfunction(L, open_profile);
    lua_setfield(L, -2, "skynet.profile");
    lua_pushcfunction(L, l_print);
    lua_setglobal(L, "print");
    return skyhost_install_code_cache(L);
}

// The loader of a native module: require passes the name first.
static int native_loader(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    const char *name = luaL_checkstring(L, 1);
    int n = b->host->open_module(b->ctx, L, name);
    if (n < 0) return lua_error(L);  // Swift has returned: raising here crosses no Swift frame
    return n;
}

// package.searchers[1]: Lua's preload searcher, then the host's native modules.
static int preload_and_native_searcher(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    const char *name = luaL_checkstring(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    if (lua_getfield(L, -1, name) != LUA_TNIL) {
        lua_pushliteral(L, ":preload:");
        return 2;
    }
    if (b->host->has_module(b->ctx, name)) {
        lua_pushcfunction(L, native_loader);
        lua_pushliteral(L, ":native:");
        return 2;
    }
    lua_pushfstring(L, "no field package.preload['%s']\n\tno native module '%s'", name, name);
    return 1;
}

static int install_native_searcher(lua_State *L) {
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, LUA_LOADLIBNAME);
    if (lua_getfield(L, -1, "searchers") != LUA_TTABLE) return luaL_error(L, "package.searchers is missing");
    lua_pushcfunction(L, preload_and_native_searcher);
    lua_rawseti(L, -2, 1);
    return 0;
}

int skyhost_install_native_searcher(lua_State *L) {
    if (!lua_checkstack(L, 2)) return LUA_ERRMEM;
    lua_pushcfunction(L, install_native_searcher);
    return lua_pcall(L, 0, 0, 0);
}

int skyhost_open_core(lua_State *L, struct skyhost_binding *binding) {
    if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
    lua_pushcfunction(L, install);
    lua_pushlightuserdata(L, binding);
    return lua_pcall(L, 1, 0, 0);
}

static int dispatch_traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int skyhost_dispatch(lua_State *L, int ptype, const void *msg, size_t sz, int session, uint32_t source) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    switch_thread(b, L);
    lua_settop(L, 0);
    lua_pushcfunction(L, dispatch_traceback);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &callback_key) != LUA_TFUNCTION) {
        lua_settop(L, 0);
        return -1;
    }
    lua_pushinteger(L, ptype);
    lua_pushlightuserdata(L, (void *)msg);
    lua_pushinteger(L, (lua_Integer)sz);
    lua_pushinteger(L, session);
    lua_pushinteger(L, source);
    return lua_pcall(L, 5, 0, 1);
}

// ---- signal -----------------------------------------------------------------------------------
// Hooks belong to one Lua thread, so the hook goes on the coroutine running now (`active`), and
// the resume wrapper puts it on whichever thread runs next while a signal is pending. While the
// signalling thread installs the hook (trap == -1), the resumer waits, so the coroutine it
// hooks cannot end and be collected under it.

static void signal_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    struct skyhost_binding *b = skyhost_binding_of(L);
    if (__atomic_load_n(&b->trap, __ATOMIC_ACQUIRE) == 1) {
        __atomic_store_n(&b->trap, 0, __ATOMIC_RELEASE);
        luaL_error(L, "signal 0");
    }
}

static void switch_thread(struct skyhost_binding *b, lua_State *L) {
    __atomic_store_n(&b->active, L, __ATOMIC_RELEASE);
    if (__atomic_load_n(&b->trap, __ATOMIC_ACQUIRE) == 1)
        lua_sethook(L, signal_hook, LUA_MASKCOUNT, 1);
}

static void wait_signaller(struct skyhost_binding *b) {
    while (__atomic_load_n(&b->trap, __ATOMIC_ACQUIRE) == -1) skyhost_cpu_relax();
}

// lua_sethook is meant to be called from another thread (Lua's own signal handling does), but
// the interpreter reads the hook fields without synchronisation: a benign race by Lua's design,
// which ThreadSanitizer is told not to report here.
__attribute__((no_sanitize("thread")))
void skyhost_signal(struct skyhost_binding *b) {
    int expected = 0;
    if (!__atomic_compare_exchange_n(&b->trap, &expected, -1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;  // a signal is already pending
    lua_State *L = __atomic_load_n(&b->active, __ATOMIC_ACQUIRE);
    if (L != NULL) lua_sethook(L, signal_hook, LUA_MASKCOUNT, 1);
    __atomic_store_n(&b->trap, 1, __ATOMIC_RELEASE);
}
