// The document object bson.encode and bson.encode_order return, as Skynet v1.8.0 has it: a full
// userdata holding exactly the document's bytes, with the metatable "bson":
//
//   #doc                 the document's size in bytes
//   tostring(doc)        the document's bytes
//   doc:decode()         the table (bson_decode.c)
//   doc:makeindex()      records where the top-level fields of fixed size are (double, boolean,
//                        objectid, date, timestamp, int32, int64); returns doc
//   doc.key = value      after makeindex, overwrites such a field in place with a value of the
//                        same BSON type (an objectid, date or timestamp as its marker)
//
// The index is the userdata's user value: key -> type | offset << INDEX_TYPE_BITS, the offset
// of the field's value from the document's start.

#include "bson_format.h"
#include <lauxlib.h>
#include <string.h>

#define INDEX_TYPE_BITS 5

/// The userdata's bytes and size, checked to be a document object.
static uint8_t *document_bytes(lua_State *L, int index, size_t *size) {
    uint8_t *bytes = luaL_checkudata(L, index, BSON_DOCUMENT_META);
    *size = lua_rawlen(L, index);
    return bytes;
}

/// __len: the document's size.
static int document_length(lua_State *L) {
    size_t size;
    document_bytes(L, 1, &size);
    lua_pushinteger(L, (lua_Integer)size);
    return 1;
}

/// __tostring: the document's bytes.
static int document_bytes_string(lua_State *L) {
    size_t size;
    const uint8_t *bytes = document_bytes(L, 1, &size);
    lua_pushlstring(L, (const char *)bytes, size);
    return 1;
}

/// doc:makeindex(): the index of the fields __newindex can overwrite; returns doc.
static int document_makeindex(lua_State *L) {
    size_t size;
    const uint8_t *start = document_bytes(L, 1, &size);
    struct bson_reader r = {L, start, size};
    int32_t length = skyhost_bson_take_int32(&r);
    if (length < BSON_MIN_DOCUMENT || (size_t)length > size) {
        return luaL_error(L, "Invalid bson document length %d", (int)length);
    }
    r.left = (size_t)length - 5;
    lua_newtable(L);
    while (r.left > 0) {
        int type = skyhost_bson_take_byte(&r);
        size_t key_len;
        const char *key = skyhost_bson_take_cstring(&r, &key_len);
        size_t value_size;
        const uint8_t *value = skyhost_bson_take_value(&r, type, &value_size);
        switch (type) {
        case BSON_DOUBLE:
        case BSON_BOOLEAN:
        case BSON_OBJECTID:
        case BSON_DATE:
        case BSON_TIMESTAMP:
        case BSON_INT32:
        case BSON_INT64:
            lua_pushlstring(L, key, key_len);
            lua_pushinteger(L, (lua_Integer)type | (lua_Integer)(value - start) << INDEX_TYPE_BITS);
            lua_rawset(L, -3);
            break;
        default:
            break;
        }
    }
    lua_setiuservalue(L, 1, 1);
    lua_settop(L, 1);
    return 1;
}

/// The marker string argument 3 must be for a field of type `type`: its value bytes.
static const uint8_t *marker_argument(lua_State *L, int type, size_t size, const char *message) {
    size_t n;
    const char *s = luaL_checklstring(L, 3, &n);
    if (n < 6 || s[0] != 0 || (uint8_t)s[1] != type) luaL_error(L, "Type mismatch, need bson type %d", type);
    if (n != 2 + size) luaL_error(L, "%s", message);
    return (const uint8_t *)s + 2;
}

/// __newindex: doc[key] = value for a field makeindex recorded.
static int document_replace(lua_State *L) {
    size_t size;
    uint8_t *start = document_bytes(L, 1, &size);
    if (lua_getiuservalue(L, 1, 1) != LUA_TTABLE) return luaL_error(L, "call makeindex first");
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNUMBER || !lua_isinteger(L, -1)) {
        return luaL_error(L, "Can't replace key : %s", luaL_tolstring(L, 2, NULL));
    }
    lua_Integer id = lua_tointeger(L, -1);
    int type = (int)(id & ((1 << INDEX_TYPE_BITS) - 1));
    lua_Integer offset = id >> INDEX_TYPE_BITS;
    size_t width = type == BSON_BOOLEAN ? 1 : type == BSON_INT32 ? 4 : type == BSON_OBJECTID ? 12 : 8;
    if (offset < 4 || (size_t)offset > size || size - (size_t)offset < width) {
        return luaL_error(L, "Can't replace key : %s (the index does not match the document)",
                          luaL_tolstring(L, 2, NULL));
    }
    uint8_t *field = start + offset;
    switch (type) {
    case BSON_DOUBLE: {
        double d = (double)luaL_checknumber(L, 3);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        bson_put_u64(field, bits);
        break;
    }
    case BSON_BOOLEAN:
        field[0] = (uint8_t)lua_toboolean(L, 3);
        break;
    case BSON_OBJECTID:
        memcpy(field, marker_argument(L, type, 12, "Invalid object id"), 12);
        break;
    case BSON_DATE:
        bson_put_u64(field, (uint64_t)bson_get_u32(marker_argument(L, type, 4, "Invalid date")) * 1000);
        break;
    case BSON_TIMESTAMP:
        memcpy(field, marker_argument(L, type, 8, "Invalid timestamp"), 8);
        break;
    case BSON_INT32: {
        lua_Integer i = lua_tointeger(L, 3);
        if (!lua_isinteger(L, 3) || i < INT32_MIN || i > INT32_MAX) {
            return luaL_error(L, "%f must be a 32bit integer ", lua_tonumber(L, 3));
        }
        bson_put_u32(field, (uint32_t)(int32_t)i);
        break;
    }
    case BSON_INT64:
        if (!lua_isinteger(L, 3)) return luaL_error(L, "%f must be a 64bit integer ", lua_tonumber(L, 3));
        bson_put_u64(field, (uint64_t)lua_tointeger(L, 3));
        break;
    default:
        return luaL_error(L, "Can't replace type %d", type);
    }
    return 0;
}

/// Sets the document objects' metatable on the userdata on top of the stack, making it the
/// first time.
static void set_document_meta(lua_State *L) {
    if (luaL_newmetatable(L, BSON_DOCUMENT_META)) {
        static const luaL_Reg methods[] = {
            {"decode", skyhost_bson_decode},
            {"makeindex", document_makeindex},
            {NULL, NULL},
        };
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, document_bytes_string);
        lua_setfield(L, -2, "__tostring");
        lua_pushcfunction(L, document_length);
        lua_setfield(L, -2, "__len");
        lua_pushcfunction(L, document_replace);
        lua_setfield(L, -2, "__newindex");
    }
    lua_setmetatable(L, -2);
}

/// (bson_format.h) A new document object with a copy of the bytes.
void skyhost_bson_push_document(lua_State *L, const void *bytes, size_t size) {
    void *copy = lua_newuserdatauv(L, size, 1);
    memcpy(copy, bytes, size);
    set_document_meta(L);
}
