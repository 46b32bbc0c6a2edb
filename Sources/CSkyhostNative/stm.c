// skynet.stm: one service publishes a value (a skynet.pack'ed message), others read its latest
// version without a message for each change (Skynet's lualib-src/lua-stm.c, same API).
//
//   local obj = stm.new(msg, sz)       the writer's object (or stm.new(string)); obj(msg, sz)
//                                      publishes a new version; collected -> no more versions
//   local ref = stm.copy(obj)          a reference for a reader, passed in a message
//   local reader = stm.newcopy(ref)    the reader's object; reader(unpack) ->
//                                      true, unpack(msg, sz) when a version it has not read is
//                                      there, false otherwise
//
// The services of a node share its address space, so an object is one malloc'd block the
// writer and the readers point at: a version is reference-counted (the object's current one,
// and the one each reader read last, which its unpack may still be using), and the object
// itself lives until the writer and every reader have let it go. The version pointer is
// guarded by a read-write lock: readers take it for reading, a publish for writing.

#include "skyhost_native.h"
#include <lauxlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct stm_version {
    atomic_int references;
    size_t size;
    void *msg;  // malloc'd; freed with the version
};

struct stm_object {
    pthread_rwlock_t lock;
    atomic_int references;          // the writer and each reader (and each copy in flight)
    struct stm_version *current;    // NULL once the writer has let go
};

static struct stm_version *version_new(void *msg, size_t size) {
    struct stm_version *v = malloc(sizeof *v);
    if (v == NULL) return NULL;
    atomic_init(&v->references, 1);
    v->size = size;
    v->msg = msg;
    return v;
}

static void version_release(struct stm_version *v) {
    if (v != NULL && atomic_fetch_sub(&v->references, 1) == 1) {
        free(v->msg);
        free(v);
    }
}

static void object_release(struct stm_object *obj) {
    if (atomic_fetch_sub(&obj->references, 1) == 1) {
        pthread_rwlock_destroy(&obj->lock);
        free(obj);
    }
}

/// The message of argument `index`: (lightuserdata of a malloc'd block, size), taken over; or a
/// string, copied. Raises when out of memory.
static void *take_message(lua_State *L, int index, size_t *size) {
    if (lua_isuserdata(L, index)) {
        *size = (size_t)luaL_checkinteger(L, index + 1);
        return lua_touserdata(L, index);
    }
    const char *text = luaL_checklstring(L, index, size);
    void *msg = malloc(*size > 0 ? *size : 1);
    if (msg == NULL) luaL_error(L, "stm: out of memory");
    memcpy(msg, text, *size);
    return msg;
}

// ---- the writer ---------------------------------------------------------------------------------

static const char writer_meta = 0;
static const char reader_meta = 0;

struct writer_box { struct stm_object *obj; };
struct reader_box { struct stm_object *obj; struct stm_version *last; };

static int l_new(lua_State *L) {
    size_t size;
    void *msg = take_message(L, 1, &size);
    struct writer_box *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->obj = NULL;
    struct stm_object *obj = malloc(sizeof *obj);
    struct stm_version *v = obj ? version_new(msg, size) : NULL;
    if (v == NULL) {
        free(obj);
        free(msg);
        return luaL_error(L, "stm: out of memory");
    }
    pthread_rwlock_init(&obj->lock, NULL);
    atomic_init(&obj->references, 1);
    obj->current = v;
    box->obj = obj;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &writer_meta);
    lua_setmetatable(L, -2);
    return 1;
}

// obj(msg, sz): a new version.
static int l_publish(lua_State *L) {
    struct writer_box *box = luaL_checkudata(L, 1, "skynet.stm writer");
    if (box->obj == NULL) return luaL_error(L, "stm: the object was released");
    size_t size;
    void *msg = take_message(L, 2, &size);
    struct stm_version *v = version_new(msg, size);
    if (v == NULL) {
        free(msg);
        return luaL_error(L, "stm: out of memory");
    }
    pthread_rwlock_wrlock(&box->obj->lock);
    struct stm_version *old = box->obj->current;
    box->obj->current = v;
    pthread_rwlock_unlock(&box->obj->lock);
    version_release(old);
    return 0;
}

static int l_writer_gc(lua_State *L) {
    struct writer_box *box = lua_touserdata(L, 1);
    if (box->obj == NULL) return 0;
    pthread_rwlock_wrlock(&box->obj->lock);
    struct stm_version *old = box->obj->current;
    box->obj->current = NULL;
    pthread_rwlock_unlock(&box->obj->lock);
    version_release(old);
    object_release(box->obj);
    box->obj = NULL;
    return 0;
}

// stm.copy(obj) -> a reference to the object for one reader (a lightuserdata, to put in a message).
static int l_copy(lua_State *L) {
    struct writer_box *box = luaL_checkudata(L, 1, "skynet.stm writer");
    if (box->obj == NULL) return luaL_error(L, "stm: the object was released");
    atomic_fetch_add(&box->obj->references, 1);
    lua_pushlightuserdata(L, box->obj);
    return 1;
}

// ---- readers --------------------------------------------------------------------------------------

// stm.newcopy(ref): takes over the reference stm.copy made.
static int l_newcopy(lua_State *L) {
    luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
    struct reader_box *box = lua_newuserdatauv(L, sizeof *box, 0);
    box->obj = lua_touserdata(L, 1);
    box->last = NULL;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &reader_meta);
    lua_setmetatable(L, -2);
    return 1;
}

// reader(unpack) -> true, unpack(msg, sz) | false
static int l_read(lua_State *L) {
    struct reader_box *box = luaL_checkudata(L, 1, "skynet.stm reader");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (box->obj == NULL) return luaL_error(L, "stm: the reader was released");
    pthread_rwlock_rdlock(&box->obj->lock);
    struct stm_version *v = box->obj->current;
    if (v != NULL) atomic_fetch_add(&v->references, 1);
    pthread_rwlock_unlock(&box->obj->lock);
    if (v == box->last) {  // nothing new (or nothing at all)
        version_release(v);
        lua_pushboolean(L, 0);
        return 1;
    }
    version_release(box->last);
    box->last = v;
    if (v == NULL) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_settop(L, 2);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 2);
    lua_pushlightuserdata(L, v->msg);
    lua_pushinteger(L, (lua_Integer)v->size);
    lua_call(L, 2, LUA_MULTRET);
    return lua_gettop(L) - 2;
}

static int l_reader_gc(lua_State *L) {
    struct reader_box *box = lua_touserdata(L, 1);
    if (box->obj == NULL) return 0;
    version_release(box->last);
    box->last = NULL;
    object_release(box->obj);
    box->obj = NULL;
    return 0;
}

static void new_meta(lua_State *L, const char *name, const void *key, lua_CFunction call, lua_CFunction gc) {
    luaL_newmetatable(L, name);
    lua_pushcfunction(L, call);
    lua_setfield(L, -2, "__call");
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

static int open_stm(lua_State *L) {
    new_meta(L, "skynet.stm writer", &writer_meta, l_publish, l_writer_gc);
    new_meta(L, "skynet.stm reader", &reader_meta, l_read, l_reader_gc);
    static const luaL_Reg functions[] = {
        {"new", l_new}, {"copy", l_copy}, {"newcopy", l_newcopy}, {NULL, NULL},
    };
    luaL_newlib(L, functions);
    return 1;
}

int skyhost_open_stm(lua_State *L) {
    lua_pushcfunction(L, open_stm);
    return lua_pcall(L, 0, 1, 0);
}
