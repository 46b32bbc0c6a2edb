// An example host: embeds a Skyhost node, runs a Lua service, hot-patches it from Swift.
//
//   swift run skyhost-example-host
import Foundation
import Skyhost

let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("lua").path
let node = Node(
    configuration: NodeConfiguration(environment: [
        "luaservice": folder + "/?.lua",
        "thread": "2",
    ]), output: NodeOutput(log: { _ in }, print: { print($0, terminator: "") }))
try node.start()

let shop = try await node.launch("shop")
let before = try await node.call(shop, ["price", "potion_hp"])

// The balance team wants 50% off: patch the running service's state, no restart. `_P.lua`
// holds the tables the service's dispatch function reaches (here `prices` and `config`).
let output = try await node.inject(
    into: shop,
    source: """
        _P.lua.config.discount = 0.5
        print("discount now", _P.lua.config.discount)
        """)
let after = try await node.call(shop, ["price", "potion_hp"])

print("hotfix said: \(output)")
print("potion_hp before: \(before[0]), after: \(after[0])")
node.shutdown()
