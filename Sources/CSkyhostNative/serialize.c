// skynet.pack / skynet.unpack: Skynet's byte format, written from its specification.
//
// A value is one header byte, `type | cookie << 3`, then a payload (little-endian):
//   nil 0 | boolean 1 (cookie = value) | number 2 | light userdata 3 | short string 4 (cookie =
//   length < 32) | long string 5 (cookie 2: u16 length, 4: u32 length) | table 6 (cookie = array
//   length, or 31 followed by the length as a number; then array values, hash pairs, nil).
// Number cookies: 0 zero, 1 u8, 2 u16, 4 int32 (u32 when positive), 6 int64, 8 double.

#include "skyhost_native.h"
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

enum { T_NIL = 0, T_BOOLEAN = 1, T_NUMBER = 2, T_USERDATA = 3, T_SHORT_STRING = 4,
       T_LONG_STRING = 5, T_TABLE = 6 };
enum { N_ZERO = 0, N_BYTE = 1, N_WORD = 2, N_DWORD = 4, N_QWORD = 6, N_REAL = 8 };
#define MAX_COOKIE 32
#define MAX_DEPTH 32
#define COMBINE(t, c) ((uint8_t)((t) | ((c) << 3)))

// ---- writing ------------------------------------------------------------------------------

struct writer {
    uint8_t *buf;
    size_t len, cap;
    uint8_t inline_buf[256];
};

static void writer_init(struct writer *w) {
    w->buf = w->inline_buf;
    w->len = 0;
    w->cap = sizeof(w->inline_buf);
}

static void writer_free(struct writer *w) {
    if (w->buf != w->inline_buf) free(w->buf);
    w->buf = NULL;
}

static void writer_fail(lua_State *L, struct writer *w, const char *msg) {
    writer_free(w);
    luaL_error(L, "%s", msg);
}

static void writer_put(lua_State *L, struct writer *w, const void *p, size_t n) {
    if (w->len + n > w->cap) {
        size_t cap = w->cap * 2;
        while (cap < w->len + n) cap *= 2;
        uint8_t *nb = (w->buf == w->inline_buf) ? malloc(cap) : realloc(w->buf, cap);
        if (nb == NULL) writer_fail(L, w, "serialize: out of memory");
        if (w->buf == w->inline_buf) memcpy(nb, w->inline_buf, w->len);
        w->buf = nb;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

static void put_byte(lua_State *L, struct writer *w, uint8_t b) { writer_put(L, w, &b, 1); }

static void put_le(lua_State *L, struct writer *w, uint64_t v, int bytes) {
    uint8_t tmp[8];
    for (int i = 0; i < bytes; i++) tmp[i] = (uint8_t)(v >> (8 * i));
    writer_put(L, w, tmp, (size_t)bytes);
}

static void write_integer(lua_State *L, struct writer *w, lua_Integer v) {
    if (v == 0) {
        put_byte(L, w, COMBINE(T_NUMBER, N_ZERO));
    } else if (v != (int32_t)v) {
        put_byte(L, w, COMBINE(T_NUMBER, N_QWORD));
        put_le(L, w, (uint64_t)v, 8);
    } else if (v < 0) {
        put_byte(L, w, COMBINE(T_NUMBER, N_DWORD));
        put_le(L, w, (uint32_t)(int32_t)v, 4);
    } else if (v < 0x100) {
        put_byte(L, w, COMBINE(T_NUMBER, N_BYTE));
        put_le(L, w, (uint64_t)v, 1);
    } else if (v < 0x10000) {
        put_byte(L, w, COMBINE(T_NUMBER, N_WORD));
        put_le(L, w, (uint64_t)v, 2);
    } else {
        put_byte(L, w, COMBINE(T_NUMBER, N_DWORD));
        put_le(L, w, (uint64_t)v, 4);
    }
}

static void write_real(lua_State *L, struct writer *w, lua_Number v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    put_byte(L, w, COMBINE(T_NUMBER, N_REAL));
    put_le(L, w, bits, 8);
}

static void write_string(lua_State *L, struct writer *w, const char *s, size_t len) {
    if (len < MAX_COOKIE) {
        put_byte(L, w, COMBINE(T_SHORT_STRING, len));
    } else if (len < 0x10000) {
        put_byte(L, w, COMBINE(T_LONG_STRING, 2));
        put_le(L, w, len, 2);
    } else {
        put_byte(L, w, COMBINE(T_LONG_STRING, 4));
        put_le(L, w, len, 4);
    }
    if (len > 0) writer_put(L, w, s, len);
}

static void write_value(lua_State *L, struct writer *w, int index, int depth);

static void write_table_with_pairs(lua_State *L, struct writer *w, int index, int depth) {
    // A table whose metatable has __pairs is written through that iterator, with no array part.
    put_byte(L, w, COMBINE(T_TABLE, 0));
    lua_pushvalue(L, index);
    lua_call(L, 1, 3);  // __pairs(t) -> next, state, control
    for (;;) {
        lua_pushvalue(L, -2);
        lua_pushvalue(L, -2);
        lua_copy(L, -5, -3);
        lua_call(L, 2, 2);
        if (lua_type(L, -2) == LUA_TNIL) {
            lua_pop(L, 4);
            break;
        }
        write_value(L, w, -2, depth);
        write_value(L, w, -1, depth);
        lua_pop(L, 1);
    }
    put_byte(L, w, T_NIL);
}

static void write_table(lua_State *L, struct writer *w, int index, int depth) {
    if (!lua_checkstack(L, LUA_MINSTACK)) writer_fail(L, w, "serialize: out of stack");
    index = lua_absindex(L, index);
    if (luaL_getmetafield(L, index, "__pairs") != LUA_TNIL) {
        write_table_with_pairs(L, w, index, depth);
        return;
    }
    lua_Integer array_size = (lua_Integer)lua_rawlen(L, index);
    if (array_size >= MAX_COOKIE - 1) {
        put_byte(L, w, COMBINE(T_TABLE, MAX_COOKIE - 1));
        write_integer(L, w, array_size);
    } else {
        put_byte(L, w, COMBINE(T_TABLE, array_size));
    }
    for (lua_Integer i = 1; i <= array_size; i++) {
        lua_rawgeti(L, index, i);
        write_value(L, w, -1, depth);
        lua_pop(L, 1);
    }
    lua_pushnil(L);
    while (lua_next(L, index) != 0) {
        if (lua_type(L, -2) == LUA_TNUMBER && lua_isinteger(L, -2)) {
            lua_Integer k = lua_tointeger(L, -2);
            if (k > 0 && k <= array_size) {
                lua_pop(L, 1);
                continue;
            }
        }
        write_value(L, w, -2, depth);
        write_value(L, w, -1, depth);
        lua_pop(L, 1);
    }
    put_byte(L, w, T_NIL);
}

static void write_value(lua_State *L, struct writer *w, int index, int depth) {
    int type = lua_type(L, index);
    switch (type) {
    case LUA_TNIL:
        put_byte(L, w, T_NIL);
        break;
    case LUA_TBOOLEAN:
        put_byte(L, w, COMBINE(T_BOOLEAN, lua_toboolean(L, index) ? 1 : 0));
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, index)) write_integer(L, w, lua_tointeger(L, index));
        else write_real(L, w, lua_tonumber(L, index));
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, index, &len);
        write_string(L, w, s, len);
        break;
    }
    case LUA_TLIGHTUSERDATA: {
        void *p = lua_touserdata(L, index);
        put_byte(L, w, T_USERDATA);
        writer_put(L, w, &p, sizeof(p));
        break;
    }
    case LUA_TTABLE:
        if (depth + 1 > MAX_DEPTH) writer_fail(L, w, "serialize can't pack too depth table");
        write_table(L, w, index, depth + 1);
        break;
    default: {
        const char *name = lua_typename(L, type);
        char msg[64];
        snprintf(msg, sizeof(msg), "Unsupport type %s to serialize", name);
        writer_fail(L, w, msg);
    }
    }
}

/// Packs stack values [from, from+n) into a malloc'd block.
static void pack_values(lua_State *L, int from, int n, void **out, size_t *sz) {
    struct writer w;
    writer_init(&w);
    for (int i = 0; i < n; i++) write_value(L, &w, from + i, 0);
    void *block = malloc(w.len > 0 ? w.len : 1);
    if (block == NULL) writer_fail(L, &w, "serialize: out of memory");
    memcpy(block, w.buf, w.len);
    *out = block;
    *sz = w.len;
    writer_free(&w);
}

int skyhost_lua_pack(lua_State *L) {
    void *block;
    size_t sz;
    pack_values(L, 1, lua_gettop(L), &block, &sz);
    lua_pushlightuserdata(L, block);
    lua_pushinteger(L, (lua_Integer)sz);
    return 2;
}

int skyhost_lua_packstring(lua_State *L) {
    struct writer w;
    writer_init(&w);
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) write_value(L, &w, i, 0);
    uint8_t *heap = (w.buf == w.inline_buf) ? NULL : w.buf;
    // A memory error in lua_pushlstring would leak `heap`; the allocator only fails past a
    // service's memlimit, where a leak of one packed message is the lesser harm.
    lua_pushlstring(L, (const char *)w.buf, w.len);
    free(heap);
    return 1;
}

// ---- reading ------------------------------------------------------------------------------

struct reader {
    const uint8_t *p;
    size_t len, pos;
};

static void invalid_stream(lua_State *L, struct reader *r, int line) {
    luaL_error(L, "Invalid serialize stream %d (line:%d)", (int)r->pos, line);
}

static const uint8_t *reader_take(lua_State *L, struct reader *r, size_t n, int line) {
    if (r->len - r->pos < n) invalid_stream(L, r, line);
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static uint64_t get_le(const uint8_t *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static lua_Integer read_integer(lua_State *L, struct reader *r, int cookie) {
    switch (cookie) {
    case N_ZERO: return 0;
    case N_BYTE: return (lua_Integer)*reader_take(L, r, 1, __LINE__);
    case N_WORD: return (lua_Integer)(uint16_t)get_le(reader_take(L, r, 2, __LINE__), 2);
    case N_DWORD: return (lua_Integer)(int32_t)(uint32_t)get_le(reader_take(L, r, 4, __LINE__), 4);
    case N_QWORD: return (lua_Integer)(int64_t)get_le(reader_take(L, r, 8, __LINE__), 8);
    default: invalid_stream(L, r, __LINE__); return 0;
    }
}

static void read_value(lua_State *L, struct reader *r, uint8_t header, int depth);

static void read_one(lua_State *L, struct reader *r, int depth) {
    uint8_t header = *reader_take(L, r, 1, __LINE__);
    read_value(L, r, header, depth);
}

static void read_table(lua_State *L, struct reader *r, int cookie, int depth) {
    lua_Integer array_size = cookie;
    if (cookie == MAX_COOKIE - 1) {
        uint8_t h = *reader_take(L, r, 1, __LINE__);
        if ((h & 7) != T_NUMBER || (h >> 3) == N_REAL) invalid_stream(L, r, __LINE__);
        array_size = read_integer(L, r, h >> 3);
        // Each element takes at least one byte: a larger count cannot be honest.
        if (array_size < 0 || (uint64_t)array_size > r->len - r->pos) invalid_stream(L, r, __LINE__);
    }
    if (!lua_checkstack(L, LUA_MINSTACK)) luaL_error(L, "unpack: out of stack");
    lua_createtable(L, (int)array_size, 0);
    for (lua_Integer i = 1; i <= array_size; i++) {
        read_one(L, r, depth);
        lua_rawseti(L, -2, i);
    }
    for (;;) {
        read_one(L, r, depth);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            return;
        }
        if (lua_type(L, -1) == LUA_TNUMBER && lua_isnumber(L, -1) && !lua_isinteger(L, -1)) {
            lua_Number k = lua_tonumber(L, -1);
            if (k != k) invalid_stream(L, r, __LINE__);  // NaN cannot be a key
        }
        read_one(L, r, depth);
        lua_rawset(L, -3);
    }
}

static void read_value(lua_State *L, struct reader *r, uint8_t header, int depth) {
    int type = header & 7;
    int cookie = header >> 3;
    switch (type) {
    case T_NIL:
        lua_pushnil(L);
        break;
    case T_BOOLEAN:
        lua_pushboolean(L, cookie);
        break;
    case T_NUMBER:
        if (cookie == N_REAL) {
            uint64_t bits = get_le(reader_take(L, r, 8, __LINE__), 8);
            double d;
            memcpy(&d, &bits, sizeof(d));
            lua_pushnumber(L, d);
        } else {
            lua_pushinteger(L, read_integer(L, r, cookie));
        }
        break;
    case T_USERDATA: {
        void *p;
        memcpy(&p, reader_take(L, r, sizeof(p), __LINE__), sizeof(p));
        lua_pushlightuserdata(L, p);
        break;
    }
    case T_SHORT_STRING:
        lua_pushlstring(L, (const char *)reader_take(L, r, (size_t)cookie, __LINE__), (size_t)cookie);
        break;
    case T_LONG_STRING: {
        size_t len;
        if (cookie == 2) len = (size_t)get_le(reader_take(L, r, 2, __LINE__), 2);
        else if (cookie == 4) len = (size_t)get_le(reader_take(L, r, 4, __LINE__), 4);
        else { invalid_stream(L, r, __LINE__); len = 0; }
        lua_pushlstring(L, (const char *)reader_take(L, r, len, __LINE__), len);
        break;
    }
    case T_TABLE:
        if (depth + 1 > MAX_DEPTH) invalid_stream(L, r, __LINE__);
        read_table(L, r, cookie, depth + 1);
        break;
    default:
        invalid_stream(L, r, __LINE__);
    }
}

static int unpack_buffer(lua_State *L, const void *data, size_t sz) {
    struct reader r = { (const uint8_t *)data, sz, 0 };
    int top = lua_gettop(L);
    int count = 0;
    while (r.pos < r.len) {
        if (count % 8 == 0 && !lua_checkstack(L, 16)) luaL_error(L, "unpack: too many values");
        read_one(L, &r, 0);
        count++;
    }
    return lua_gettop(L) - top;
}

int skyhost_lua_unpack(lua_State *L) {
    if (lua_isnoneornil(L, 1)) return 0;
    const void *data;
    size_t sz;
    if (lua_type(L, 1) == LUA_TSTRING) {
        data = lua_tolstring(L, 1, &sz);
    } else {
        data = lua_touserdata(L, 1);
        sz = (size_t)luaL_checkinteger(L, 2);
        if (data == NULL && sz > 0) return luaL_error(L, "unpack: NULL message with size %d", (int)sz);
    }
    if (sz == 0) return 0;
    lua_settop(L, 1);
    return unpack_buffer(L, data, sz);
}
