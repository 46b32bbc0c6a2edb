// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Skyhost",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Skyhost", targets: ["Skyhost"]),
        .library(name: "SkyhostMySQL", targets: ["SkyhostMySQL"]),
        .executable(name: "skyhost", targets: ["skyhost"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // Debian's liblua5.4 (apt: liblua5.4-dev).
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // Debian's MariaDB Connector/C (apt: libmariadb-dev), for the skyhost.mysql driver.
        .systemLibrary(
            name: "CMariaDB",
            pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"])]
        ),
        // Static inline wrappers for Lua's function-like macros, and the trampolines that keep
        // lua_error / longjmp out of Swift frames.
        .target(name: "CLuaShim", dependencies: ["CLua"]),
        // The C half of the native Lua modules: skynet.core argument handling, the skynet.pack
        // serializer and the per-service allocator. Everything that touches a Lua stack in a way
        // that can raise lives here; the policy it calls into is Swift (see skyhost_native.h).
        // The Lua heaps come from mimalloc (apt: libmimalloc-dev), see allocator.c.
        .target(name: "CSkyhostNative", dependencies: ["CLua"], linkerSettings: [.linkedLibrary("mimalloc")]),
        // Swift over one lua_State. Knows nothing of services.
        .target(name: "Lua", dependencies: ["CLua", "CLuaShim"]),
        // The runtime.
        .target(
            name: "Skyhost",
            dependencies: [
                "Lua", "CLua", "CSkyhostNative",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The `skyhost.mysql` native module: MySQL / MariaDB through Connector/C, on threads of its
        // own. A target of its own, so that embedding the runtime does not need MariaDB's client.
        .target(
            name: "SkyhostMySQL",
            dependencies: [
                "Skyhost", "Lua", "CLua", "CMariaDB",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "skyhost",
            dependencies: [
                "Skyhost", "SkyhostMySQL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // An example of a Swift program embedding a node (README: "Embedding Skyhost").
        .executableTarget(name: "skyhost-example-host", dependencies: ["Skyhost"], path: "examples/host", exclude: ["lua"]),
        .testTarget(name: "LuaTests", dependencies: ["Lua"]),
        // Each suite's Lua services are files in a `lua` folder beside it, read at run time.
        .testTarget(
            name: "SkyhostTests",
            dependencies: ["Skyhost", "SkyhostMySQL"],
            exclude: [
                "APIGroup/lua",
                "BSON/lua",
                "CommandLine/lua",
                "ConfigReload/lua",
                "Crypt/lua",
                "Console/lua",
                "Fault/lua",
                "Gate/lua",
                "HotUpdate/lua",
                "IdleServiceAPI/lua",
                "Login/lua",
                "Messaging/lua",
                "ModuleLoading/lua",
                "MsgServer/lua",
                "Multicast/lua",
                "MySQL/lua",
                "Node/lua",
                "Netpack/lua",
                "Pack/lua",
                "PackFuzz/lua",
                "Redis/lua",
                "SafePatch/lua",
                "SharedData/lua",
                "ServiceReload/lua",
                "SmallModules/lua",
                "Snax/lua",
                "STM/lua",
                "ServiceLifecycle/lua",
                "Socket/lua",
                "SocketChannel/lua",
                "Storm/lua",
                "SwiftAPI/lua",
                "TimeAndCoroutine/lua",
                "UpdateAuth/lua",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
