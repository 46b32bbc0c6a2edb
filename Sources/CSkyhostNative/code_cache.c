// loadfile and require's Lua searcher, sharing compiled code between the services of a node.
//
// Compiling skynet.lua for every new service dominates the cost of a spawn. The node keeps, per
// file path, the last source it compiled and the resulting bytecode, and reuses the bytecode
// only for the same bytes. An edited file is therefore picked up at once by the next load:
// unlike Skynet's code cache there is nothing to clear.
//
// Knowing that the bytes are the same need not mean reading them. Every load stats the file
// first; its stamp (device, inode, size, modification and change times) is remembered with the
// code once the file is "settled": its change time more than SETTLE_SECONDS before the moment
// the load began. Any later write, truncation, rename over it or chmod sets the change time to
// the clock of that moment, so a settled stamp that is still the same means the same file, and
// the load skips the read. A file changed more recently than that (the clock's and the file
// system's timestamp granularity could hide a second change in the same tick) is read and
// compared byte by byte on every load, until it settles.

#include "skyhost_native.h"
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/// How long a file must have been left alone before its stamp is trusted instead of its bytes.
#define SETTLE_SECONDS 2

struct byte_buffer { char *data; size_t size, cap; int failed; };

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud) {
    (void)L;
    struct byte_buffer *b = (struct byte_buffer *)ud;
    if (b->size + sz > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->size + sz) cap *= 2;
        char *nd = realloc(b->data, cap);
        if (nd == NULL) { b->failed = 1; return 1; }
        b->data = nd;
        b->cap = cap;
    }
    memcpy(b->data + b->size, p, sz);
    b->size += sz;
    return 0;
}

/// Reads a whole file into a malloc'd buffer; NULL if it cannot be read.
static char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 8192, n = 0;
    char *data = malloc(cap);
    while (data != NULL) {
        size_t r = fread(data + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
        if (n == cap) {
            char *nd = realloc(data, cap * 2);
            if (nd == NULL) { free(data); data = NULL; break; }
            data = nd;
            cap *= 2;
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) { free(data); return NULL; }
    *size = n;
    return data;
}

/// Stats `path` into *stamp. Returns 1 if the stamp is settled (see above), 0 if not (or if the
/// file cannot be stat'ed: then the read will report it).
static int settled_stamp(const char *path, struct skyhost_file_stamp *stamp) {
    struct timespec now;
    struct stat st;
    clock_gettime(CLOCK_REALTIME, &now);  // before the stat: a change after it is later than now
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    memset(stamp, 0, sizeof *stamp);
    stamp->device = (uint64_t)st.st_dev;
    stamp->inode = (uint64_t)st.st_ino;
    stamp->size = (uint64_t)st.st_size;
    stamp->mtime_sec = st.st_mtim.tv_sec;
    stamp->mtime_nsec = st.st_mtim.tv_nsec;
    stamp->ctime_sec = st.st_ctim.tv_sec;
    stamp->ctime_nsec = st.st_ctim.tv_nsec;
    return st.st_ctim.tv_sec + SETTLE_SECONDS < now.tv_sec;
}

/// A chunk compiled from text was loaded (`status` LUA_OK, the function on the stack): refuses it
/// as Lua would when `mode` allows binary chunks only. Returns the status to report.
static int refuse_text_mode(lua_State *L, const char *mode, int status) {
    if (status != LUA_OK || mode == NULL || strchr(mode, 't') != NULL) return status;
    lua_pop(L, 1);
    lua_pushfstring(L, "attempt to load a text chunk (mode is '%s')", mode);
    return LUA_ERRSYNTAX;
}

/// Loads cached bytecode as the chunk of `chunkname`, honouring `mode` as if it were the text
/// it was compiled from; on success copies the source's `known_checksum` to `checksum` (if not
/// NULL). Ends the use of `token`.
static int load_cached(lua_State *L, struct skyhost_binding *b, void *token, const void *bytecode,
                       size_t bytecode_size, const char *known_checksum, const char *chunkname,
                       const char *mode, char *checksum) {
    int status = luaL_loadbufferx(L, (const char *)bytecode, bytecode_size, chunkname, "b");
    if (checksum != NULL && status == LUA_OK) memcpy(checksum, known_checksum, 41);
    b->host->code_release(b->ctx, token);
    return refuse_text_mode(L, mode, status);
}

/// load_cached for the file `path`, named "@path" as Lua names a file's chunk.
static int load_cached_file(lua_State *L, struct skyhost_binding *b, void *token, const void *bytecode,
                            size_t bytecode_size, const char *known_checksum, const char *path,
                            const char *mode, char *checksum) {
    const char *chunkname = lua_pushfstring(L, "@%s", path);
    int status = load_cached(L, b, token, bytecode, bytecode_size, known_checksum, chunkname, mode,
                             checksum);
    lua_remove(L, -2);  // the chunk name
    return status;
}

// ---- chunks loaded ahead -----------------------------------------------------------------------
// A state prepared ahead of a launch (see PreparedLuaState.swift) may already hold, unrun, the
// chunks of the files most services load (skynet.lua, the loader...), undumped from the cache
// off the launch's critical path: registry[prepared_key][path] = { function, stamp, checksum }. A
// load of that path whose file still has that settled stamp takes the function instead of undumping the
// same bytecode again: the same chunk, never run, with the same chunk name and environment. The
// host drops what the loader did not take (skyhost_forget_prepared).

static const char prepared_key = 0;

static int prepare_chunk_body(lua_State *L) {
    const char *path = (const char *)lua_touserdata(L, 1);
    const struct skyhost_file_stamp *stamp = (const struct skyhost_file_stamp *)lua_touserdata(L, 2);
    const char *bytecode = (const char *)lua_touserdata(L, 3);
    size_t size = (size_t)lua_tointeger(L, 4);
    const char *checksum = (const char *)lua_touserdata(L, 5);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &prepared_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &prepared_key);
    }
    lua_createtable(L, 3, 0);
    const char *chunkname = lua_pushfstring(L, "@%s", path);
    if (luaL_loadbufferx(L, bytecode, size, chunkname, "b") != LUA_OK) return lua_error(L);
    lua_rawseti(L, -3, 1);
    lua_pop(L, 1);  // the chunk name
    lua_pushlstring(L, (const char *)stamp, sizeof *stamp);
    lua_rawseti(L, -2, 2);
    lua_pushstring(L, checksum);
    lua_rawseti(L, -2, 3);
    lua_setfield(L, -2, path);
    return 0;
}

int skyhost_prepare_chunk(lua_State *L, const char *path, const struct skyhost_file_stamp *stamp,
                          const void *bytecode, size_t size, const char *checksum) {
    if (!lua_checkstack(L, 8)) return LUA_ERRMEM;
    lua_pushcfunction(L, prepare_chunk_body);
    lua_pushlightuserdata(L, (void *)path);
    lua_pushlightuserdata(L, (void *)stamp);
    lua_pushlightuserdata(L, (void *)bytecode);
    lua_pushinteger(L, (lua_Integer)size);
    lua_pushlightuserdata(L, (void *)checksum);
    int status = lua_pcall(L, 5, 0, 0);
    if (status != LUA_OK) lua_pop(L, 1);  // a prepared chunk is only a shortcut: do without
    return status;
}

void skyhost_forget_prepared(lua_State *L) {
    lua_pushnil(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &prepared_key);  // (setting nil never allocates)
}

/// Pushes the prepared chunk of `path` and returns 1 if there is one made with `stamp`
/// (forgetting it: each is used once), copying its source's SHA-1 to `checksum` (if not NULL);
/// returns 0 with nothing pushed otherwise.
static int take_prepared(lua_State *L, const char *path, const struct skyhost_file_stamp *stamp,
                         char *checksum) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &prepared_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_getfield(L, -1, path) != LUA_TTABLE) {
        lua_pop(L, 2);
        return 0;
    }
    lua_pushnil(L);
    lua_setfield(L, -3, path);  // used once, whether it matches or not
    lua_rawgeti(L, -1, 2);
    size_t len = 0;
    const char *known = lua_tolstring(L, -1, &len);
    int same = known != NULL && len == sizeof *stamp && memcmp(known, stamp, len) == 0;
    lua_pop(L, 1);
    if (!same) {
        lua_pop(L, 2);
        return 0;
    }
    if (checksum != NULL) {
        lua_rawgeti(L, -1, 3);
        const char *known_checksum = lua_tolstring(L, -1, &len);
        if (known_checksum != NULL && len == 40) memcpy(checksum, known_checksum, 41);
        lua_pop(L, 1);
    }
    lua_rawgeti(L, -1, 1);  // the function
    lua_replace(L, -3);
    lua_pop(L, 1);
    return 1;
}

/// Loads `path` as luaL_loadfilex would (pushing the function, or an error message and returning
/// a non-OK status), going through the node's compiled-code table. When the file is Lua source
/// and loads, `checksum` (if not NULL) receives the SHA-1 of the whole file as `sha1sum` prints
/// it; otherwise it is left empty.
static int load_source(lua_State *L, struct skyhost_binding *b, const char *path, const char *mode,
                       char checksum[41]);

static int load_file(lua_State *L, struct skyhost_binding *b, const char *path, const char *mode,
                     char checksum[41]) {
    char own[41];
    if (checksum == NULL) checksum = own;
    checksum[0] = '\0';
    int status = load_source(L, b, path, mode, checksum);
    if (status == LUA_OK && checksum[0] != '\0') b->host->code_loaded(b->ctx, path, checksum);
    return status;
}

/// load_file without telling the host what was loaded.
static int load_source(lua_State *L, struct skyhost_binding *b, const char *path, const char *mode,
                       char checksum[41]) {
    const void *bytecode;
    const char *known_checksum;
    size_t bytecode_size;
    int usable_mode = mode == NULL || strchr(mode, 'b') || strchr(mode, 't');
    if (usable_mode) {  // a rolled-back state runs the version it is pinned to
        void *token = b->host->code_pinned(b->ctx, path, &bytecode, &bytecode_size, &known_checksum);
        if (token != NULL)
            return load_cached_file(L, b, token, bytecode, bytecode_size, known_checksum, path, mode, checksum);
    }
    struct skyhost_file_stamp stamp;
    int settled = settled_stamp(path, &stamp);
    if (settled && usable_mode && take_prepared(L, path, &stamp, checksum))
        return refuse_text_mode(L, mode, LUA_OK);
    if (settled && usable_mode) {  // unchanged since a load that compiled or checked its bytes
        void *token = b->host->code_lookup(b->ctx, path, &stamp, NULL, 0, &bytecode, &bytecode_size,
                                           &known_checksum);
        if (token != NULL)
            return load_cached_file(L, b, token, bytecode, bytecode_size, known_checksum, path, mode, checksum);
    }
    size_t size = 0;
    char *source = read_file(path, &size);
    if (source == NULL) {
        lua_pushfstring(L, "cannot open %s", path);
        return LUA_ERRFILE;
    }
    const char *text = source;
    size_t len = size;
    if (len > 0 && text[0] == '#') {  // skip a first-line comment, keeping the line count
        while (len > 0 && text[0] != '\n') { text++; len--; }
    }
    lua_pushfstring(L, "@%s", path);
    const char *chunkname = lua_tostring(L, -1);
    int status;
    if (len > 0 && text[0] == LUA_SIGNATURE[0]) {  // a precompiled file: load as it is
        status = luaL_loadbufferx(L, text, len, chunkname, mode);
    } else {
        const struct skyhost_file_stamp *known = settled ? &stamp : NULL;
        // The whole file's bytes (a first-line comment included) identify the version.
        void *token = b->host->code_lookup(b->ctx, path, known, source, size, &bytecode,
                                           &bytecode_size, &known_checksum);
        if (token != NULL && usable_mode) {
            status = load_cached(L, b, token, bytecode, bytecode_size, known_checksum, chunkname,
                                 mode, checksum);
        } else {
            if (token != NULL) b->host->code_release(b->ctx, token);
            status = luaL_loadbufferx(L, text, len, chunkname, mode);
            if (status == LUA_OK) {
                struct byte_buffer dump = { NULL, 0, 0, 0 };
                lua_dump(L, dump_writer, &dump, 0);
                char stored_checksum[41];
                if (!dump.failed && dump.size > 0) {
                    b->host->code_store(b->ctx, path, known, source, size, dump.data, dump.size,
                                        stored_checksum);
                    memcpy(checksum, stored_checksum, 41);
                }
                free(dump.data);
            }
        }
    }
    free(source);
    lua_remove(L, -2);  // the chunk name
    return status;
}

// loadfile([filename [, mode [, env]]]) as Lua's, through the cache.
static int l_loadfile(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    const char *path = luaL_checkstring(L, 1);  // reading standard input is not supported
    const char *mode = luaL_optstring(L, 2, "bt");
    int env = !lua_isnone(L, 3) ? 3 : 0;
    if (load_file(L, b, path, mode, NULL) != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    if (env != 0) {
        lua_pushvalue(L, env);
        if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    }
    return 1;
}

// The runtime's own modules ("skynet", "skynet.*") are the same in every service of a node and
// are never reloaded; recording them would cost every service a table for nothing.
static int is_runtime_module(const char *name) {
    return strcmp(name, "skynet") == 0 || strncmp(name, "skynet.", 7) == 0;
}

// registry[SKYHOST_MODULE_VERSIONS][name] = checksum: which version of each module this service
// loaded last (read by lualib/skynet/patch.lua; lualib/hotfix.lua puts the old entry back when
// a reload fails). The table is made on the first module that needs it.
static void record_version(lua_State *L, const char *name, const char *checksum) {
    luaL_getsubtable(L, LUA_REGISTRYINDEX, SKYHOST_MODULE_VERSIONS);
    lua_pushstring(L, checksum);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
}

// package.searchers[2] as Lua's: package.searchpath over package.path, then load.
static int l_lua_searcher(lua_State *L) {
    struct skyhost_binding *b = skyhost_binding_of(L);
    const char *name = luaL_checkstring(L, 1);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "path");
    const char *path = lua_tostring(L, -1);
    if (path == NULL) return luaL_error(L, "'package.path' must be a string");
    const char *filename = luaL_gsub(L, name, ".", LUA_DIRSEP);
    lua_getfield(L, -3, "searchpath");
    lua_pushstring(L, filename);
    lua_pushstring(L, path);
    lua_call(L, 2, 2);  // package.searchpath(filename, path) -> file | nil, err
    if (lua_isnil(L, -2)) return 1;  // the "no file" list
    lua_pop(L, 1);
    const char *file = lua_tostring(L, -1);
    char checksum[41];
    if (load_file(L, b, file, NULL, checksum) != LUA_OK)
        return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s",
                          name, file, lua_tostring(L, -1));
    if (checksum[0] != '\0' && !is_runtime_module(name)) record_version(L, name, checksum);
    lua_pushvalue(L, -2);  // second value for the loader: the file name
    return 2;
}

int skyhost_install_code_cache(lua_State *L) {
    lua_pushcfunction(L, l_loadfile);
    lua_setglobal(L, "loadfile");
    lua_getglobal(L, "package");
    if (lua_getfield(L, -1, "searchers") == LUA_TTABLE) {
        lua_pushcfunction(L, l_lua_searcher);
        lua_rawseti(L, -2, 2);
    }
    lua_pop(L, 2);
    return 0;
}

static int loadfile_body(lua_State *L) {
    const char *path = (const char *)lua_touserdata(L, 1);
    if (load_file(L, skyhost_binding_of(L), path, "bt", NULL) != LUA_OK) return lua_error(L);
    return 1;
}

int skyhost_loadfile_protected(lua_State *L, const char *path) {
    lua_pushcfunction(L, loadfile_body);
    lua_pushlightuserdata(L, (void *)path);
    return lua_pcall(L, 1, 1, 0);
}
