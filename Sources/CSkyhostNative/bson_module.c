// The `bson` module (Skynet v1.8.0's lualib-src/lua-bson.c, same API), assembled from the files
// that implement it: bson_encode.c (bson.encode, bson.encode_order), bson_decode.c
// (bson.decode), bson_document.c (the document objects encode returns), bson_values.c (the
// markers for BSON's own types, bson.type) and bson_objectid.c (bson.objectid).
//
//   bson.null, bson.minkey, bson.maxkey   the markers of those BSON values

#include "bson_format.h"
#include "skyhost_native.h"
#include <lauxlib.h>

/// Pushes the module table (run protected by skyhost_open_bson).
static int open_bson(lua_State *L) {
    static const luaL_Reg functions[] = {
        {"encode", skyhost_bson_encode},
        {"encode_order", skyhost_bson_encode_order},
        {"decode", skyhost_bson_decode},
        {"date", skyhost_bson_date},
        {"timestamp", skyhost_bson_timestamp},
        {"regex", skyhost_bson_regex},
        {"binary", skyhost_bson_binary},
        {"objectid", skyhost_bson_objectid},
        {"int64", skyhost_bson_int64},
        {"type", skyhost_bson_type},
        {NULL, NULL},
    };
    luaL_newlib(L, functions);
    static const struct {
        const char *name;
        char marker[2];
    } constants[] = {
        {"null", {0, (char)BSON_NULL}},
        {"minkey", {0, (char)BSON_MINKEY}},
        {"maxkey", {0, (char)BSON_MAXKEY}},
    };
    for (size_t i = 0; i < sizeof constants / sizeof constants[0]; i++) {
        lua_pushlstring(L, constants[i].marker, 2);
        lua_setfield(L, -2, constants[i].name);
    }
    return 1;
}

/// (skyhost_native.h) Pushes the module, protected: returns a Lua status.
int skyhost_open_bson(lua_State *L) {
    lua_pushcfunction(L, open_bson);
    return lua_pcall(L, 0, 1, 0);
}
