import Foundation
import Testing

/// skynet.db.redis against a real redis-server started by each test.
@Suite(.serialized) struct RedisTests {
    @Test func commandsPipelinesAndConcurrentRequestsGetTheirReplies() throws {
        let redis = try RedisServer()
        let node = try TestNode(["main.lua": luaSource("commandsMain.lua")], environment: ["redis_port": String(redis.port)])
        _ = try node.output.waitForPrint(timeout: 20) { $0 == "done" }
        let lines = node.output.stdout
        #expect(lines.contains("set OK"), "\(lines)")
        #expect(lines.contains("get hello"))
        #expect(lines.contains("missing nil"))
        #expect(lines.contains("incr 1 42"))
        #expect(lines.contains("exists true false"))
        #expect(lines.contains("sismember true false"))
        #expect(lines.contains("hmget {1,2}"))
        #expect(lines.contains("lrange {x,y,z}"))
        #expect(lines.contains("binary true"))
        // (the server's error, raised where the reply is checked, as in Skynet)
        #expect(lines.contains { $0.hasPrefix("error false ") && $0.contains(": ERR wrong number of arguments") })
        #expect(lines.contains { $0.hasPrefix("wrongtype false ") && $0.contains(": WRONGTYPE") })
        #expect(lines.contains("pipeline true:OK true:2 true:2 false:WRONGTYPE"))
        #expect(lines.contains("pipeline last 4"))
        #expect(lines.contains("concurrent 200 0"))
        #expect(lines.contains("select nil OK hello"))
    }

    @Test func watchReceivesPublishedMessagesAndPatternMessages() throws {
        let redis = try RedisServer()
        let node = try TestNode(["main.lua": luaSource("watchMain.lua")], environment: ["redis_port": String(redis.port)])
        _ = try node.output.waitForPrint(timeout: 20) { $0 == "done" }
        #expect(node.output.stdout.contains("message\tfirst\tnews"))
        #expect(node.output.stdout.contains("pmessage\tsecond\troom.7\troom.*"))
    }

    @Test func aServerThatRestartsFailsRequestsMeanwhileAndIsReconnected() throws {
        let redis = try RedisServer()
        let node = try TestNode(["main.lua": luaSource("restartMain.lua")], environment: ["redis_port": String(redis.port)])
        _ = try node.output.waitForPrint { $0.hasPrefix("before") }
        redis.stop()
        let failed = try node.output.waitForPrint { $0.hasPrefix("failed") }
        #expect(failed == "failed\t[Error: socket]")
        try redis.start()
        _ = try node.output.waitForPrint(timeout: 20) { $0 == "done" }
        #expect(node.output.stdout.contains("before\tOK\t1"))
        // (the restarted server is empty)
        #expect(node.output.stdout.contains("after\tnil\tOK\t2"), "\(node.output.stdout)")
    }

    @Test func aServerThatAnswersGarbageFailsTheRequestWithAClearError() throws {
        let node = try TestNode([
            "main.lua": luaSource("garbageMain.lua"),
            "lineServer.lua": luaSource("../../SocketChannel/lua/lineServer.lua"),
        ])
        _ = try node.output.waitForPrint(timeout: 20) { $0 == "done" }
        let lines = node.output.stdout
        #expect(lines.contains { $0.hasPrefix("garbage\tfalse\t") && $0.hasSuffix(": redis: malformed reply \"!!!\"") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("again\tfalse\t") && $0.hasSuffix(": redis: malformed reply \"!!!\"") })
        #expect(lines.contains("server\ttrue"))
    }

    @Test func aClusterClientRoutesKeysFollowsRedirectionsAndSubscribes() throws {
        let cluster = try RedisCluster()
        let ports = cluster.servers.map { String($0.port) }.joined(separator: " ")
        let node = try TestNode(["main.lua": luaSource("clusterMain.lua")], environment: ["redis_ports": ports])
        _ = try node.output.waitForPrint(timeout: 30) { $0 == "done" }
        let lines = node.output.stdout
        #expect(lines.contains("keyslot\t12182\t12182\ttrue"), "\(lines)")
        #expect(lines.contains("keys\t200\t3"))
        #expect(lines.contains("moved\tOK\t1"))
        #expect(lines.contains("reconnected\t1\t1"))
        #expect(lines.contains("pipeline\ttrue\tOK\t1"))
        #expect(lines.contains("eval\t7"))
        #expect(lines.contains { $0.hasPrefix("crossslot\tfalse\t") && $0.hasSuffix("eval - all keys must map to the same key slot") })
        #expect(
            lines.contains { $0.hasPrefix("unroutable\tfalse\t") && $0.hasSuffix("No way to dispatch this command to Redis Cluster: info") }
        )
        #expect(lines.contains { $0.hasPrefix("error\tfalse\tERR wrong number of arguments") })
        #expect(lines.contains("message\thello|world"))
    }
}
