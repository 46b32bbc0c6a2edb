import Testing

@testable import Skyhost

/// skynet.multicast and multicastd on a real node: one publish reaches every subscriber once, in
/// the order published, and nothing reaches one that unsubscribed or a deleted channel.
@Suite struct MulticastTests {
    @Test func aPublishReachesEachOfAHundredSubscribersOnce() throws {
        let node = try TestNode(["main.lua": luaSource("main.lua"), "subscriber.lua": luaSource("subscriber.lua")])
        _ = try node.output.waitForPrint { $0 == "published" }
        let lines = node.output.stdout
        #expect(lines.first == "channel [Multicast:0]")
        let got = lines.filter { $0.hasPrefix("got ") }
        #expect(got.filter { $0.hasPrefix("got hello 1 true from :00000008 on [Multicast:0]") }.count == 100)
        #expect(got.filter { $0.hasPrefix("got second 2 - from :00000008") }.count == 100)
        #expect(got.filter { $0.hasPrefix("got third 3 -") }.count == 50)
        #expect(got.count == 250, "\(got.count) messages")
        #expect(!lines.contains { $0.contains("nobody") })
        // Each subscriber got hello, then second.
        for handle in 10...109 {
            let mine = got.filter { $0.hasSuffix(" at \(ServiceAddress.format(UInt32(handle)))") }
            #expect(mine.count >= 2 && mine[0].hasPrefix("got hello") && mine[1].hasPrefix("got second"), "\(mine)")
        }
    }
}
