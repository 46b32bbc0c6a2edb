#ifndef CLUASHIM_H
#define CLUASHIM_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>

// ---------------------------------------------------------------------------------------------
// Lua's function-like macros, as functions Swift can call.
// ---------------------------------------------------------------------------------------------

static inline int shim_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline lua_Integer shim_tointeger(lua_State *L, int i, int *isnum) { return lua_tointegerx(L, i, isnum); }
static inline lua_Number shim_tonumber(lua_State *L, int i, int *isnum) { return lua_tonumberx(L, i, isnum); }

// ---------------------------------------------------------------------------------------------
// Protected operations. None of these raises: each returns a Lua status (LUA_OK or an error code)
// and needs a few free stack slots (Lua guarantees 20 to any C function and after lua_newstate);
// and, on error, leaves the error message on the top of the stack.
// ---------------------------------------------------------------------------------------------

/// lua_pcall with a message handler that appends a traceback to the error message.
int shim_pcall_traceback(lua_State *L, int nargs, int nresults);

/// luaL_loadbufferx; never raises (a memory error comes back as a status).
int shim_loadbuffer(lua_State *L, const char *buf, size_t size, const char *chunkname, const char *mode);

/// Pushes a copy of the string; on memory error returns non-zero and pushes nothing.
int shim_pushlstring_protected(lua_State *L, const char *s, size_t len);

/// Creates a table with room for narr array and nrec hash entries; non-zero on memory error.
int shim_createtable_protected(lua_State *L, int narr, int nrec);

/// t[k] = v where t is at index `t`, the value on top of the stack, with a string key; pops the
/// value. Raw set, no metamethods. Non-zero on memory error (the value is popped either way).
int shim_rawsetfield_protected(lua_State *L, int t, const char *k);

/// t[#t+1]-style raw set: t[i] = top, pops the value. Non-zero on memory error.
int shim_rawseti_protected(lua_State *L, int t, lua_Integer i);

/// luaL_openlibs in protected mode.
int shim_openlibs_protected(lua_State *L);

// ---------------------------------------------------------------------------------------------
// Calling Swift from Lua without letting lua_error cross Swift frames.
// ---------------------------------------------------------------------------------------------

/// A native function implemented in Swift. It reads its arguments without raising, pushes its
/// results with the protected helpers above, and returns the number of results, or -1 after
/// pushing an error message: the C trampoline then raises it, after Swift has returned.
typedef int (*shim_swift_function)(lua_State *L, void *context);

/// Releases a Swift function's context when Lua collects the function.
typedef void (*shim_swift_release)(void *context);

/// Pushes a Lua C closure that calls `fn(L, context)` through the trampoline. Lua owns
/// `context` from then on and calls `release(context)` when the closure is collected (or the
/// state closed). Returns a Lua status; on error the message is pushed instead of the closure and
/// `context` has not been taken (the caller still owns it).
int shim_pushswiftfunction(lua_State *L, shim_swift_function fn, void *context, shim_swift_release release);

#endif
