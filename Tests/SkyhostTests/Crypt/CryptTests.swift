import Foundation
import Testing

/// `skynet.crypt` in a real service: the standard algorithms against published vectors, and
/// Skynet's own (DES with its paddings, the login handshake's 64-bit hashes, Diffie-Hellman)
/// against vectors that Skynet v1.8.0 printed for the same inputs, and every bad argument.
@Suite struct CryptTests {
    /// Runs `file` as a node's main service (with report.lua, its way of printing) and returns
    /// what it printed as "name\tvalue" lines, by name, once it has printed "done".
    static func run(_ file: String) throws -> [String: String] {
        let node = try TestNode(["main.lua": luaSource(file), "report.lua": luaSource("report.lua")])
        _ = try node.output.waitForPrint { $0 == "done" }
        var results: [String: String] = [:]
        for line in node.output.stdout {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { results[String(parts[0])] = String(parts[1]) }
        }
        return results
    }

    @Test func hashesAndEncodingsMatchPublishedVectors() throws {
        let results = try Self.run("standardVectors.lua")
        let rfc2202 = [
            "b617318655057264e28bc0b6fb378c8ef146be00",
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
            "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
            "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
        ]
        for (i, digest) in rfc2202.enumerated() {
            #expect(results["hmac\(i + 1)"] == digest, "RFC 2202 test case \(i + 1)")
        }
        #expect(results["sha1-abc"] == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(results["sha1-empty"] == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(results["sha1-448"] == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(results["sha1-number"] == "true")
        let rfc4648 = [
            "": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==",
            "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy",
        ]
        for (plain, encoded) in rfc4648 {
            #expect(results["b64-\(plain)"] == "\(encoded) \(plain)", "base64 of '\(plain)'")
        }
        #expect(results["b64-binary"] == "true")
        #expect(results["b64-unpadded"] == "foob,fooba")
        #expect(results["b64-skips"] == "foobar")
        #expect(results["b64-bad"] == "Invalid base64 text")
        #expect(results["b64-badpad"] == "Invalid base64 text")
        #expect(results["hex"] == "000f10ff616263 000f10ffff616263")
        #expect(results["hex-odd"] == "Invalid hex text size 3")
        #expect(results["hex-bad"] == "Invalid hex text")
        #expect(results["randomkey"] == "8 true true")
        #expect(results["xor"] == "606062")
        #expect(results["xor-empty"] == "Can't xor empty string")
        #expect(results["arg-none"] == "bad argument #1 to 'sha1' (string expected, got no value)")
        #expect(results["arg-table"] == "bad argument #2 to 'hmac_sha1' (string expected, got table)")
    }

    @Test func desMatchesTheStandardAndSkynet() throws {
        let results = try Self.run("desVectors.lua")
        // FIPS 46 (the worked example of key 133457799BBCDFF1): the first block alone.
        #expect(results["fips"] == "85e813540f0ab405")
        // Printed by Skynet v1.8.0 for key "skyhost!".
        let skynet: [(String, String, String)] = [
            ("", "800967c4390154b0", "8bacc7a4f88b8882"),
            ("a", "b46d7f541d2896ae", "896f06864e5623e2"),
            ("game server", "fda0cdfc5b3c19aa71ecb5198c9a1fbd", "fda0cdfc5b3c19aae0da88839bd43b5a"),
            ("0123456789abcdef", "633357cee7bbc9e27bc0ec1100cb1a7b800967c4390154b0", "633357cee7bbc9e27bc0ec1100cb1a7b8bacc7a4f88b8882"),
            ("patched at 3 a.m.", "083a437baeebda745c8ae9972727dd940a39a8be35cdbf5f", "083a437baeebda745c8ae9972727dd944ab6cf5262ce1cd0"),
        ]
        for (text, iso, pkcs7) in skynet {
            #expect(results["iso " + text] == iso, "iso7816_4 of '\(text)'")
            #expect(results["pkcs7 " + text] == pkcs7, "pkcs7 of '\(text)'")
            #expect(results["back " + text] == "true", "'\(text)' decrypts back in both paddings")
        }
        #expect(results["padding"] == "iso7816_4=0 pkcs7=1")
        #expect(results["random"] == "200 texts of 0 to 199 bytes round-trip in both paddings")
        #expect(results["key-short"] == "Invalid key size 7, need 8 bytes")
        #expect(results["length-odd"] == "Invalid des crypt text length 7")
        #expect(results["length-zero"] == "Invalid des crypt text length 0")
        #expect(results["bad-padding"] == "Invalid des crypt text")
        #expect(results["wrong-key"] == "Invalid des crypt text")
        #expect(results["mode"] == "Invalid padding mode 2")
    }

    @Test func md5AndDebiansLpegLoadWithAPlainRequire() throws {
        let results = try Self.run("md5Vectors.lua")
        #expect(results["core is md5"] == "true")
        #expect(results["empty"] == "d41d8cd98f00b204e9800998ecf8427e")  // RFC 1321
        #expect(results["abc"] == "900150983cd24fb0d6963f7d28e17f72")
        #expect(results["sum"] == "900150983cd24fb0d6963f7d28e17f72")
        #expect(results["hmac1"] == "9294727a3638bb1c13f48ef8158bfc9d")  // RFC 2202
        #expect(results["hmac2"] == "750c783e6ab0b503eaa86e310a5db738")
        // Printed by Skynet v1.8.0 for the same inputs.
        #expect(results["hmac-long"] == "c5555a7b5c7f347eac4e0a40ab462e48")
        #expect(
            results["crypt"]
                == "0473656564c78025b74eeaf25687f4eaabf911327da70e275df478b8f40cd6b42fb63df3107cbe8544889b3ee0936dbe6b")
        #expect(results["crypt-empty-seed"] == "0060ab59")
        #expect(results["exor"] == "191b19")
        #expect(results["decrypt"] == "a secret of any length at all")
        #expect(results["exor-lengths"] == "bad argument #2 to 'exor' (lengths must be equal)")
        #expect(results["seed-long"] == "seed too long (> 16)")
        #expect(results["decrypt-bad"] == "bad argument #1 to 'decrypt' (invalid cyphered string)")
        #expect(results["lpeg"] == "2026")
    }

    @Test func theLoginHandshakesHashesAndDiffieHellmanMatchSkynet() throws {
        let results = try Self.run("loginVectors.lua")
        // Printed by Skynet v1.8.0 for the same inputs.
        let skynet = [
            "hashkey 0": "05150000a7c6674e", "hmac_hash 0": "18a0c4ff51da9869",
            "hashkey 5": "c34d170f10b4eb62", "hmac_hash 5": "22e679454125495f",
            "hashkey 12": "f5000271cd0b36d0", "hmac_hash 12": "13da640ad8e60ec9",
            "hashkey 100": "65443da559bf3007", "hmac_hash 100": "698ebb2862e4b463",
            "hmac64 1": "c33a3fabc0e7c128", "hmac64_md5 1": "ecaeeab22183c5f2", "dhsecret 1": "30cd8f2a67740e19",
            "hmac64 2": "5c6d0e54775910d4", "hmac64_md5 2": "ae89968524aa7f4d", "dhsecret 2": "703e7a3218a67312",
            "dhexchange 0100000000000000": "0500000000000000", "dhexchange 0200000000000000": "1900000000000000",
            "dhexchange 7365637265742121": "1e6bc220d30adf19", "dhexchange ffffffffffffffff": "4e2ea6baf651b377",
            "dhexchange c5ffffffffffffff": "0500000000000000",
        ]
        for (name, value) in skynet {
            #expect(results[name] == value, "\(name)")
        }
        #expect(results["hmac64_md5 is md5"] == "true")
        #expect(results["shared secret"] == "100 pairs agree")
        #expect(results["dh-zero"] == "Can't be 0")
        #expect(results["dh-size"] == "Invalid dh uint64 key")
        #expect(results["secret-zero"] == "Can't be 0")
        #expect(results["hmac64-x"] == "Invalid uint64 x")
        #expect(results["hmac64-y"] == "Invalid uint64 y")
        #expect(results["hmac_hash-key"] == "Invalid uint64 key")
    }
}
