// The markers (bson_format.h) the bson module makes for BSON values Lua has no type for, and
// bson.type, which tells what a value stands for. Same results as Skynet v1.8.0:
//
//   bson.date(seconds)             "\0\x09" + seconds as int32 (an integer, cut to 32 bits)
//   bson.timestamp(seconds [, inc])  "\0\x11" + increment + seconds, as uint32 each
//   bson.regex(pattern [, options])  "\0\x0b" pattern "\0" options "\0"
//   bson.binary(data)              "\0\x05\0" + data (subtype 0, generic)
//   bson.int64(n)                  "\0\x12" + n as 8 bytes
//   bson.type(v)                   "number"|"boolean"|"table"|"string", v; "nil" (for nil
//                                  and bson.null); "binary", data, subtype; "objectid", 24 hex
//                                  digits; "date", seconds; "timestamp", seconds, increment;
//                                  "regex", pattern, options; "minkey"; "maxkey"; "int64", n;
//                                  "unsupported", bytes (javascript, symbol, code with scope,
//                                  dbpointer as decoded)

#include "bson_format.h"
#include <lauxlib.h>
#include <stdatomic.h>
#include <string.h>

/// (bson_format.h) Pushes "\0" type, then the `n` bytes of `value`.
void skyhost_bson_push_marker(lua_State *L, int type, const void *value, size_t n) {
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n + 2);
    p[0] = 0;
    p[1] = (char)type;
    if (n > 0) memcpy(p + 2, value, n);
    luaL_pushresultsize(&b, n + 2);
}

/// The text of argument `index`: a string or a number as its string, "" for anything else
/// (v1.8.0's regex and binary take whatever luaL_addvalue makes of it).
static const char *text_argument(lua_State *L, int index, size_t *n) {
    const char *s = lua_tolstring(L, index, n);
    if (s == NULL) {
        *n = 0;
        return "";
    }
    return s;
}

/// bson.date(seconds): the date marker.
int skyhost_bson_date(lua_State *L) {
    uint8_t seconds[4];
    bson_put_u32(seconds, (uint32_t)luaL_checkinteger(L, 1));
    skyhost_bson_push_marker(L, BSON_DATE, seconds, 4);
    return 1;
}

/// The increment a bson.timestamp(seconds, nil) takes: one counter for the process, as in
/// v1.8.0, so that timestamps made in different services differ.
static _Atomic uint32_t timestamp_increment;

/// bson.timestamp(seconds [, increment]): the timestamp marker.
int skyhost_bson_timestamp(lua_State *L) {
    uint32_t seconds = (uint32_t)luaL_checkinteger(L, 1);
    uint32_t increment;
    if (lua_gettop(L) < 2) {
        // v1.8.0 gives 0 here: its counter is only read for an explicit nil (Lua 5.4's
        // luaL_buffinit pushes a placeholder where a missing argument 2 would be).
        increment = 0;
    } else if (lua_isnil(L, 2)) {
        increment = atomic_fetch_add(&timestamp_increment, 1);
    } else {
        increment = (uint32_t)lua_tointeger(L, 2);
    }
    uint8_t value[8];
    bson_put_u32(value, increment);
    bson_put_u32(value + 4, seconds);
    skyhost_bson_push_marker(L, BSON_TIMESTAMP, value, 8);
    return 1;
}

/// bson.regex(pattern [, options]): the regex marker.
int skyhost_bson_regex(lua_State *L) {
    size_t pattern_len, options_len = 0;
    const char *pattern = luaL_checklstring(L, 1, &pattern_len);
    const char *options = lua_gettop(L) < 2 ? "" : text_argument(L, 2, &options_len);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, 0);
    luaL_addchar(&b, BSON_REGEX);
    luaL_addlstring(&b, pattern, pattern_len);
    luaL_addchar(&b, 0);
    luaL_addlstring(&b, options, options_len);
    luaL_addchar(&b, 0);
    luaL_pushresult(&b);
    return 1;
}

/// bson.binary(data): the binary marker, subtype 0.
int skyhost_bson_binary(lua_State *L) {
    size_t n;
    const char *data = text_argument(L, 1, &n);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, n + 3);
    p[0] = 0;
    p[1] = BSON_BINARY;
    p[2] = 0;  // subtype: generic binary data
    if (n > 0) memcpy(p + 3, data, n);
    luaL_pushresultsize(&b, n + 3);
    return 1;
}

/// bson.int64(n): the int64 marker (n is written as int64 whatever its size).
int skyhost_bson_int64(lua_State *L) {
    uint8_t value[8];
    bson_put_u64(value, (uint64_t)luaL_checkinteger(L, 1));
    skyhost_bson_push_marker(L, BSON_INT64, value, 8);
    return 1;
}

/// bson.type of a marker of type `type` with `n` bytes of value `v`.
static int marker_type(lua_State *L, int type, const uint8_t *v, size_t n) {
    switch (type) {
    case BSON_BINARY:
        if (n < 1) return luaL_error(L, "Invalid binary");
        lua_pushliteral(L, "binary");
        lua_pushlstring(L, (const char *)v + 1, n - 1);
        lua_pushinteger(L, v[0]);
        return 3;
    case BSON_OBJECTID: {
        if (n != 12) return luaL_error(L, "Invalid object id");
        static const char digits[] = "0123456789abcdef";
        char hex[24];
        for (int i = 0; i < 12; i++) {
            hex[2 * i] = digits[v[i] >> 4];
            hex[2 * i + 1] = digits[v[i] & 0xf];
        }
        lua_pushliteral(L, "objectid");
        lua_pushlstring(L, hex, 24);
        return 2;
    }
    case BSON_DATE:
        if (n != 4) return luaL_error(L, "Invalid date");
        lua_pushliteral(L, "date");
        lua_pushinteger(L, (int32_t)bson_get_u32(v));
        return 2;
    case BSON_TIMESTAMP:
        if (n != 8) return luaL_error(L, "Invalid timestamp");
        lua_pushliteral(L, "timestamp");
        lua_pushinteger(L, bson_get_u32(v + 4));
        lua_pushinteger(L, bson_get_u32(v));
        return 3;
    case BSON_REGEX: {
        // pattern "\0" options "\0": the pattern ends at the last zero before the final byte
        if (n < 1) return luaL_error(L, "Invalid regex");
        size_t body = n - 1, options = 0;
        while (options < body && v[body - options - 1] != 0) options++;
        if (options == body) return luaL_error(L, "Invalid regex");
        lua_pushliteral(L, "regex");
        lua_pushlstring(L, (const char *)v, body - options - 1);
        lua_pushlstring(L, (const char *)v + body - options, options);
        return 3;
    }
    case BSON_MINKEY:
        lua_pushliteral(L, "minkey");
        return 1;
    case BSON_MAXKEY:
        lua_pushliteral(L, "maxkey");
        return 1;
    case BSON_NULL:
        lua_pushliteral(L, "nil");
        return 1;
    case BSON_JSCODE:
    case BSON_DBPOINTER:
    case BSON_SYMBOL:
    case BSON_CODEWS:
        lua_pushliteral(L, "unsupported");
        lua_pushlstring(L, (const char *)v, n);
        return 2;
    case BSON_INT64: {
        if (n != 8) return luaL_error(L, "Invalid int64");
        lua_pushliteral(L, "int64");
        lua_pushinteger(L, (lua_Integer)bson_get_u64(v));
        return 2;
    }
    default:
        return luaL_error(L, "Invalid subtype %d", type);
    }
}

/// bson.type(v): what v stands for, and its parts (see the top of this file).
int skyhost_bson_type(lua_State *L) {
    int t = lua_type(L, 1);
    const char *name;
    switch (t) {
    case LUA_TNUMBER:
        name = "number";
        break;
    case LUA_TBOOLEAN:
        name = "boolean";
        break;
    case LUA_TTABLE:
        name = "table";
        break;
    case LUA_TNIL:
        lua_pushliteral(L, "nil");
        return 1;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, 1, &n);
        if (n >= 2 && s[0] == 0) return marker_type(L, (uint8_t)s[1], (const uint8_t *)s + 2, n - 2);
        name = "string";
        break;
    }
    default:
        return luaL_error(L, "Invalid type %s", lua_typename(L, t));
    }
    lua_pushstring(L, name);
    lua_pushvalue(L, 1);
    return 2;
}
