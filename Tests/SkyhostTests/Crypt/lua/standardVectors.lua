local skynet = require "skynet"
local crypt = require "skynet.crypt"
local hex = crypt.hexencode
local report = require "report"
local out, err = report.out, report.err
skynet.start(function()
    -- RFC 2202, section 3: HMAC-SHA1 test cases 1 to 7
    local key4 = ""
    for i = 1, 25 do key4 = key4 .. string.char(i) end
    local cases = {
        { string.rep("\x0b", 20), "Hi There" },
        { "Jefe", "what do ya want for nothing?" },
        { string.rep("\xaa", 20), string.rep("\xdd", 50) },
        { key4, string.rep("\xcd", 50) },
        { string.rep("\x0c", 20), "Test With Truncation" },
        { string.rep("\xaa", 80), "Test Using Larger Than Block-Size Key - Hash Key First" },
        { string.rep("\xaa", 80), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data" },
    }
    for i, c in ipairs(cases) do out("hmac" .. i, hex(crypt.hmac_sha1(c[1], c[2]))) end
    -- FIPS 180 SHA-1
    out("sha1-abc", hex(crypt.sha1("abc")))
    out("sha1-empty", hex(crypt.sha1("")))
    out("sha1-448", hex(crypt.sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))
    out("sha1-number", crypt.sha1(12) == crypt.sha1("12") and crypt.sha1(1.5) == crypt.sha1("1.5"))
    -- RFC 4648, section 10
    for _, s in ipairs { "", "f", "fo", "foo", "foob", "fooba", "foobar" } do
        local e = crypt.base64encode(s)
        out("b64-" .. s, e .. " " .. crypt.base64decode(e))
    end
    out("b64-binary", crypt.base64decode(crypt.base64encode("\0\1\2\255\254")) == "\0\1\2\255\254")
    out("b64-unpadded", crypt.base64decode("Zm9vYg") .. "," .. crypt.base64decode("Zm9vYmE"))
    out("b64-skips", crypt.base64decode("Zm9v\nYmFy"))
    err("b64-bad", crypt.base64decode, "Z===")
    err("b64-badpad", crypt.base64decode, "Zm9=")
    out("hex", hex("\0\15\16\255abc") .. " " .. hex(crypt.hexdecode("000f10ffFF616263")))
    err("hex-odd", crypt.hexdecode, "abc")
    err("hex-bad", crypt.hexdecode, "zz")
    local k = crypt.randomkey()
    local x = 0
    for i = 1, #k do x = x ~ k:byte(i) end
    out("randomkey", #k .. " " .. tostring(x ~= 0) .. " " .. tostring(k ~= crypt.randomkey()))
    out("xor", hex(crypt.xor_str("abc", "\1\2")))
    err("xor-empty", crypt.xor_str, "abc", "")
    err("arg-none", crypt.sha1)
    err("arg-table", crypt.hmac_sha1, "key", {})
    print("done")
end)
