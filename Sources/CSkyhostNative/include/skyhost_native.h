#ifndef SKYHOST_NATIVE_H
#define SKYHOST_NATIVE_H

// The C half of Skyhost's native Lua modules.
//
// Everything here that touches a Lua stack may raise a Lua error, so it is C: arguments are
// checked with luaL_check*, results pushed, errors raised with luaL_error, and no Swift frame is
// ever on the C stack between the Lua call and the raise. The policy (where a message goes, what
// a command does) is Swift, reached through `struct skyhost_host`, whose functions never raise
// and, all but open_module, never touch a Lua stack.

#include <stddef.h>
#include <stdint.h>
#include <lua.h>

/// What stat says of a file's version: equal stamps mean the same bytes, provided the file had
/// not changed for a while when the stamp was taken (see code_cache.c). No padding: compared
/// byte for byte.
struct skyhost_file_stamp {
    uint64_t device, inode, size;
    int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

/// Functions the Swift runtime provides to the native modules. `ctx` is the calling service's
/// opaque context. None of them raises, and none but open_module touches a lua_State.
struct skyhost_host {
    /// Whether the host has a native module called `name`.
    int (*has_module)(void *ctx, const char *name);
    /// Pushes the native module `name` (one has_module knows) onto
    /// L through protected calls only; returns 1, or -1 with an error message pushed (the caller
    /// raises it, once Swift has returned).
    int (*open_module)(void *ctx, lua_State *L, const char *name);
    /// Delivers a message. Takes ownership of `data` (a malloc'd block, or NULL when sz == 0)
    /// whatever the outcome. Returns 0 on success, -1 when `dest` does not exist.
    int (*send)(void *ctx, uint32_t source, uint32_t dest, int ptype, int session, void *data, size_t sz);
    /// Like send, to a `.name` or `:hex` address.
    int (*sendname)(void *ctx, uint32_t source, const char *name, int ptype, int session, void *data, size_t sz);
    /// A new session id for the calling service (positive, wraps before INT32_MAX).
    int (*genid)(void *ctx);
    /// Runs a command (Skynet's names: REG, NAME, QUERY, EXIT, KILL, LAUNCH, GETENV, SETENV,
    /// TIMEOUT, STARTTIME, ABORT, LOGON, LOGOFF, SIGNAL, STAT, ...). Returns a NUL-terminated
    /// result valid until the next command of the same service, or NULL for nil.
    const char *(*command)(void *ctx, const char *cmd, const char *param);
    /// Writes a line to the node's log, as Skynet's logger: `[:0000000a] text`.
    void (*log)(void *ctx, const char *text, size_t sz);
    /// Writes text to the node's standard output (Lua's `print`).
    void (*print)(void *ctx, const char *text, size_t sz);
    /// Centiseconds since the node started.
    uint64_t (*now)(void *ctx);
    /// Compiled code for `path`: returns a token for code_release and sets *bytecode /
    /// *bytecode_size and *checksum (the source's SHA-1 in 40 hex digits, NUL-terminated, valid
    /// until code_release), or returns NULL. With `source` NULL, only code stored with exactly
    /// `stamp` matches. Otherwise code compiled from exactly these bytes matches; if `stamp` is
    /// not NULL (a settled stamp, see code_cache.c), the match is then remembered with it.
    void *(*code_lookup)(void *ctx, const char *path, const struct skyhost_file_stamp *stamp,
                         const void *source, size_t size,
                         const void **bytecode, size_t *bytecode_size, const char **checksum);
    /// Ends the use of a code_lookup result.
    void (*code_release)(void *ctx, void *token);
    /// Remembers the compiled form of `source` for `path` (the host copies both), with the
    /// file's settled stamp, or NULL when the file changed too recently to be trusted by stamp,
    /// and writes the source's SHA-1 (40 hex digits and a NUL) to `checksum`.
    void (*code_store)(void *ctx, const char *path, const struct skyhost_file_stamp *stamp,
                       const void *source, size_t size, const void *bytecode, size_t bytecode_size,
                       char checksum[41]);
    /// A step of reloading the calling service in place (ServiceReload.swift): "hold" (the old
    /// state waits for its requests in flight: only answers reach it now; the reload answers
    /// `session` of `requester`), "pin" (a rollback: the new state runs the code that reload
    /// `session` replaced), "cancel" (the old state gave up: everything held is delivered
    /// again), "swap" (start the new state once this message is done, handing it `data`; `text`
    /// lists the sessions the old state still waits on, space-separated), "started" (the new
    /// state's start function returned: `session` 1, or 0 when it failed; `requester` the id of
    /// its patch, 0 for a rollback; `data` the report or the reason). Returns 0, or -1 when the
    /// step is out of turn (no reload under way, or one is; no code kept for the pin).
    int (*reload)(void *ctx, const char *step, uint32_t requester, int session, const void *data,
                  size_t size, const char *text);
    /// The code a state started by a reload's rollback must run for `path` (the version the
    /// replaced state ran, whatever the file holds now): a token for code_release, as
    /// code_lookup gives; NULL when `path` is not pinned.
    void *(*code_pinned)(void *ctx, const char *path, const void **bytecode, size_t *bytecode_size,
                         const char **checksum);
    /// The calling state loaded the Lua source `path` whose SHA-1 is `checksum` (so that a reload
    /// can later start this version again).
    void (*code_loaded)(void *ctx, const char *path, const char *checksum);
    /// What the old state handed over to the calling state, when a reload in place started it
    /// (`size` bytes, valid while the state lives), else NULL.
    const void *(*handover)(void *ctx, size_t *size);
};

/// The registry key of the table module name -> SHA-1 (40 hex digits) of the source file each
/// module was last loaded from by `require` (the runtime's own "skynet" modules excepted).
#define SKYHOST_MODULE_VERSIONS "skyhost.module_versions"

/// A node's pool of small blocks (sizes up to SKYHOST_SMALL_MAX) for its services' Lua heaps:
/// see small_pool.c.
struct skyhost_pool;
#define SKYHOST_SMALL_MAX 256

/// A new, empty pool (NULL when out of memory).
struct skyhost_pool *skyhost_pool_create(void);
/// Frees the pool's memory. Every state that used it must have been closed.
void skyhost_pool_destroy(struct skyhost_pool *pool);
/// A block of `size` (1...SKYHOST_SMALL_MAX) bytes, or NULL. Any thread.
void *skyhost_pool_alloc(struct skyhost_pool *pool, size_t size);
/// Gives back a block of `size` bytes from skyhost_pool_alloc(pool, ...). Any thread.
void skyhost_pool_free(struct skyhost_pool *pool, void *block, size_t size);
/// Makes the calling thread (a worker of the pool's node) keep a cache of the pool's free
/// blocks, so that its allocations need no lock. Must be undone by skyhost_pool_detach_thread
/// before the thread ends or the pool is destroyed.
void skyhost_pool_attach_thread(struct skyhost_pool *pool);
/// Gives the calling thread's cached blocks back to their pool and stops caching.
void skyhost_pool_detach_thread(void);

/// Per-service memory accounting, read by the allocator on every allocation.
struct skyhost_memory {
    size_t used;     ///< bytes currently allocated by the lua_State
    size_t blocks;   ///< blocks currently allocated by the lua_State
    size_t limit;    ///< 0 = unlimited; an allocation that would pass it fails
    size_t warning;  ///< next size at which the host is told (doubles each time)
    int warned;      ///< set by the allocator when `used` passed `warning`; cleared by the host
    struct skyhost_pool *pool;  ///< where blocks up to SKYHOST_SMALL_MAX bytes come from
};

/// What a service's native modules know about it. Owned by the Swift service object.
struct skyhost_binding {
    const struct skyhost_host *host;
    void *ctx;
    uint32_t handle;
    struct skyhost_memory memory;
    /// The coroutine running now (or the main thread), kept by skynet.profile's resume so that
    /// a signal can interrupt the code that is actually running.
    lua_State *volatile active;
    /// Signal state: 0 none, 1 pending, -1 being installed by the signalling thread.
    volatile int trap;
    /// Coroutines being timed by skynet.profile; resume skips the bookkeeping while it is 0.
    int profiling;
};

/// The binding of a service's state. The state's allocator is skyhost_alloc with the binding's
/// `memory` as its ud (skyhost_open_core checks it), so the native functions need no upvalue
/// to find it: they are light C functions, which cost the state no memory.
static inline struct skyhost_binding *skyhost_binding_of(lua_State *L) {
    void *memory = NULL;
    lua_getallocf(L, &memory);
    return (struct skyhost_binding *)((char *)memory - offsetof(struct skyhost_binding, memory));
}

/// Bytes the service's lua_State holds now; safe to call from any thread.
size_t skyhost_memory_used(const struct skyhost_binding *binding);
/// Blocks the service's lua_State holds now; safe to call from any thread.
size_t skyhost_memory_blocks(const struct skyhost_binding *binding);

/// The lua_Alloc to pass to lua_newstate, with the binding's `memory` as ud.
void *skyhost_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/// Registers `skynet.core` (and `skynet.profile`'s timing helpers) in package.preload of L, bound
/// to `binding` (L's allocator must be skyhost_alloc with &binding->memory: see skyhost_binding_of), replaces the global `print` by one that writes through the host, and replaces
/// `loadfile` and the Lua-file searcher of `require` by ones that reuse the node's compiled code
/// when a file's bytes are unchanged (see code_cache.c). Runs protected; returns a Lua status
/// (error message on the stack on failure).
int skyhost_open_core(lua_State *L, struct skyhost_binding *binding);

/// Makes `require(name)` open the host's native module `name` (open_module) when has_module
/// knows it: the first of package.searchers finds package.preload's entries, then the host's
/// modules, so a state pays nothing for the modules it never requires. Runs protected; returns a
/// Lua status.
int skyhost_install_native_searcher(lua_State *L);

/// Loads, without running it, the chunk of `path` compiled to `bytecode` (from the node's code
/// cache, where the file had the settled `stamp`) into a state prepared ahead of a launch; a
/// later load of `path` while the file has that stamp takes it instead of undumping again (see
/// code_cache.c). `checksum` is the source's SHA-1 (40 hex digits and a NUL), recorded as the
/// module's version when `require` takes the chunk. Returns a Lua status (the error message
/// popped: the chunk is then not kept).
int skyhost_prepare_chunk(lua_State *L, const char *path, const struct skyhost_file_stamp *stamp,
                          const void *bytecode, size_t size, const char *checksum);

/// Drops the prepared chunks no load took. Never raises.
void skyhost_forget_prepared(lua_State *L);

/// Loads a Lua file through the node's compiled-code cache (as the replaced `loadfile` does),
/// pushing the function, or returning an error status with the message pushed.
int skyhost_loadfile_protected(lua_State *L, const char *path);

/// Calls the service's Lua callback (set by skynet.core.callback) with
/// `(ptype, msg, sz, session, source)` in protected mode. Returns LUA_OK, or an error status with
/// the message (with traceback) on the stack. Returns -1 if no callback is set.
int skyhost_dispatch(lua_State *L, int ptype, const void *msg, size_t sz, int session, uint32_t source);

/// Pushes the module `skynet.stm` (stm.c), in a protected call: returns a Lua status, with the
/// module or the error message on the stack.
int skyhost_open_stm(lua_State *L);

/// Pushes the module `skyhost.frozentable` (frozen_table.c): Lua tables frozen into memory the
/// node shares, under sharedata, sharetable and datasheet. Protected; returns a Lua status.
int skyhost_open_frozentable(lua_State *L);

/// Pushes the module `bson` (bson_module.c: Skynet's BSON encoder and decoder), in a protected
/// call: returns a Lua status, with the module or the error message on the stack.
int skyhost_open_bson(lua_State *L);
/// skynet.pack, skynet.unpack and skynet.packstring (serialize.c), for the core module.
int skyhost_lua_pack(lua_State *L);
int skyhost_lua_unpack(lua_State *L);
int skyhost_lua_packstring(lua_State *L);

/// Replaces `loadfile` and require's Lua searcher by the code cache's (code_cache.c); for the
/// core module's installation, which runs it protected.
int skyhost_install_code_cache(lua_State *L);

// lua_gc is variadic, which Swift cannot call: the uses the runtime needs. A service's state
// collects in three phases (see LuaServiceBody): held while it loads, incremental until its
// first message is done, generational from then on.

/// Lua 5.4's default pause of the incremental collector (LUAI_GCPAUSE), in percent.
#define SKYHOST_GC_DEFAULT_PAUSE 200
/// The pause while a service loads: no cycle starts before the heap is ten times what it was.
#define SKYHOST_GC_LOADING_PAUSE 1000

/// Collects fully, then lets the heap grow tenfold before the next cycle: a loading service's
/// heap only grows, and collecting it meanwhile would be wasted work (snlua stops the collector).
static inline void skyhost_gc_hold(lua_State *L) {
    lua_gc(L, LUA_GCINC, SKYHOST_GC_LOADING_PAUSE, 0, 0);
    lua_gc(L, LUA_GCCOLLECT);
}
/// Back to the default pause for the cycles after the current threshold.
static inline void skyhost_gc_release(lua_State *L) { lua_gc(L, LUA_GCINC, SKYHOST_GC_DEFAULT_PAUSE, 0, 0); }
/// Generational mode (this runs a full collection), as snlua uses after loading.
static inline void skyhost_gc_generational(lua_State *L) { lua_gc(L, LUA_GCGEN, 0, 0); }

/// Interrupts whatever Lua code the service runs: at its next instruction it raises
/// `signal 0` (Skynet's `signal` console command). Safe to call from any thread.
void skyhost_signal(struct skyhost_binding *binding);

/// The head of a PTYPE_SOCKET message's payload (native byte order), followed by the event's
/// bytes (Sources/Skyhost/Sockets/SocketEvent.swift writes it, skynet.socketdriver.unpack and
/// skynet.netpack read it). The kinds are Skynet's numbers.
struct skyhost_socket_event {
    int32_t kind;
    int32_t id;
    int32_t ud;
};
enum {
    SKYHOST_SOCKET_DATA = 1,
    SKYHOST_SOCKET_CONNECT = 2,
    SKYHOST_SOCKET_CLOSE = 3,
    SKYHOST_SOCKET_ACCEPT = 4,
    SKYHOST_SOCKET_ERROR = 5,
    SKYHOST_SOCKET_UDP = 6,
    SKYHOST_SOCKET_WARNING = 7,
};

/// Pushes the module `skynet.netpack` (netpack_module.c: Skynet's 2-byte framing of client
/// streams), in a protected call: returns a Lua status.
int skyhost_open_netpack(lua_State *L);

/// 0 when epoll can watch the OS descriptor `fd` (so SwiftNIO can read it), else the errno
/// that epoll answered (EPERM for a regular file or /dev/null).
int skyhost_descriptor_pollable(int fd);

/// A spin-wait hint to the CPU (x86 `pause`), for the workers' short wait before sleeping.
static inline void skyhost_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
