use super::*;
use proptest::prelude::*;

fn v6(text: &str) -> Ipv6Addr {
    text.parse().expect("test address")
}

fn scoped<'a>(addr: &str, zone: Zone<'a>) -> Result<Parsed<'a>, Invalid> {
    Ok(Parsed::Scoped(v6(addr), zone))
}

fn check(table: &[(&str, Result<Parsed<'static>, Invalid>)], source: &str) {
    for (text, want) in table {
        assert_eq!(parse(text.as_bytes()), *want, "{source}: parse({text:?})");
    }
}

use Invalid::*;
use Zone::{Index, Name};

#[test]
fn rfc4007_section_11_examples() {
    // RFC 4007 section 11.3 ("<address>%<zone_id>") and 11.4 (a name as zone).
    check(
        &[
            ("fe80::1234%1", scoped("fe80::1234", Index(1))),
            ("ff02::5678%5", scoped("ff02::5678", Index(5))),
            ("ff08::9abc%10", scoped("ff08::9abc", Index(10))),
            ("fe80::1234%ne0", scoped("fe80::1234", Name("ne0"))),
        ],
        "RFC 4007",
    );
}

#[test]
fn go_netip_parse_addr_cases() {
    // Go src/net/netip/netip_test.go, TestParseAddr: zones are kept as
    // written, and these inputs are errors. Go differs from us on IPv4
    // shorthand ("127.1"), which OTP (and so we) accept, and on zones on
    // IPv4-mapped addresses, which we refuse (see the decision table).
    check(
        &[
            (
                "fd7a:115c:a1e0:ab12:4843:cd96:626b:430b%eth0",
                scoped("fd7a:115c:a1e0:ab12:4843:cd96:626b:430b", Name("eth0")),
            ),
            (
                "1:2::ffff:192.168.140.255%eth1",
                scoped("1:2::ffff:c0a8:8cff", Name("eth1")),
            ),
            // Syntax; scoped_ipv6_addr refuses a zone on an IPv4-mapped address.
            (
                "::ffff:192.168.140.255%eth1",
                scoped("::ffff:c0a8:8cff", Name("eth1")),
            ),
            ("1.2.3.4%eth0", Err(ZoneOnIpv4)),
            ("fe80::1%", Err(EmptyZone)),
            ("", Err(Address)),
            ("bad", Err(Address)),
            (".1.2.3", Err(Address)),
            ("1.2.3.", Err(Address)),
            ("1..2.3", Err(Address)),
            ("1.2.3.4.5", Err(Address)),
            ("192.168.300.1", Err(Address)),
            ("1:2:3:4:5:6:7", Err(Address)),
            ("1:2:3:4:5:6:7:8:9", Err(Address)),
            ("1:2:3:4::5:6:7:8", Err(Address)),
            ("fe801::1", Err(Address)),
            ("fe80:tail:scal:e::", Err(Address)),
            (
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:192.168.140.255",
                Err(Address),
            ),
            (
                "ffff::ffff:ffff:ffff:ffff:ffff:ffff:192.168.140.255",
                Err(Address),
            ),
            ("::ffff:192.168.140.bad", Err(Address)),
            ("fe80::1::1", Err(Address)),
            ("fe80:1?:1", Err(Address)),
            ("fe80:", Err(Address)),
            ("::ffff:1.2.03.4", Err(Address)),
        ],
        "Go netip",
    );
}

#[test]
fn python_ipaddress_cases() {
    // CPython Lib/test/test_ipaddress.py: test_blank_scope_id,
    // test_invalid_scope_id_with_percent, and scoped addresses in
    // AddressTestCase_v6 ("::1%scope", "2001:db8::1%scope").
    check(
        &[
            ("::1%", Err(EmptyZone)),
            ("::1%scope%", Err(ZoneCharacter)),
            ("::1%scope", scoped("::1", Name("scope"))),
            ("2001:db8::1%scope", scoped("2001:db8::1", Name("scope"))),
        ],
        "Python ipaddress",
    );
}

#[test]
fn glibc_inet6_scopeid_pton_cases() {
    // glibc inet/tst-inet6_scopeid_pton.c: "0" and "5555" are indexes on
    // any address; "", "-1", "-99", "037777777777" (2^32 in octal, read as
    // decimal here), "0x" and "0x1" fail. glibc also accepts "0" on "::";
    // we refuse any zone on "::" (RFC 4007 section 11).
    for addr in ["::1", "2001:db8::1"] {
        for (zone, want) in [
            ("0", scoped(addr, Index(0))),
            ("5555", scoped(addr, Index(5555))),
            ("", Err(EmptyZone)),
            ("037777777777", Err(ZoneIndexTooLarge)),
        ] {
            let text = format!("{addr}%{zone}");
            assert_eq!(parse(text.as_bytes()), want, "glibc: {text}");
        }
        // glibc fails these because they are not numbers and name no
        // interface; to us they are names, and resolving them fails later.
        for zone in ["-1", "-99", "0x", "0x1"] {
            let text = format!("{addr}%{zone}");
            assert_eq!(parse(text.as_bytes()), scoped(addr, Name(zone)), "{text}");
        }
    }
    assert_eq!(parse(b"::%0"), scoped("::", Index(0)));
}

/// The decisions on contested cases, as documented in the README table.
#[test]
fn contested_cases_decided() {
    check(
        &[
            // Good syntax, refused by scoped_ipv6_addr (no zone on `::` or
            // an IPv4-mapped address; test/scoped_ipv6_tests.erl).
            ("::%eth0", scoped("::", Name("eth0"))),
            ("::ffff:10.0.0.1%eth0", scoped("::ffff:a00:1", Name("eth0"))),
            ("2001:db8::1%eth0", scoped("2001:db8::1", Name("eth0"))),
            ("fe80::1%0", scoped("fe80::1", Index(0))),
            ("fe80::1%02", scoped("fe80::1", Index(2))),
            ("fe80::1%4294967295", scoped("fe80::1", Index(u32::MAX))),
            ("fe80::1%4294967296", Err(ZoneIndexTooLarge)),
            ("fe80::1%25eth0", scoped("fe80::1", Name("25eth0"))),
            ("fe80::1%25", scoped("fe80::1", Index(25))),
            ("[fe80::1%eth0]", Err(Address)),
            ("fe80::1%eth0%eth1", Err(ZoneCharacter)),
            ("fe80::1%eth 0", Err(ZoneCharacter)),
            ("fe80::1%eth\u{0}", Err(ZoneCharacter)),
            ("fe80::1%eth\t0", Err(ZoneCharacter)),
            ("fe80::1%a/b", Err(ZoneCharacter)),
            ("fe80::1%a:b", Err(ZoneCharacter)),
            ("fe80::1%.", Err(ZoneCharacter)),
            ("fe80::1%..", Err(ZoneCharacter)),
            (
                "fe80::1%abcdefghijklmno",
                scoped("fe80::1", Name("abcdefghijklmno")),
            ),
            ("fe80::1%abcdefghijklmnop", Err(ZoneTooLong)),
            ("fe80::1%wlan\u{e9}", scoped("fe80::1", Name("wlan\u{e9}"))),
            ("FE80::1%Eth0", scoped("fe80::1", Name("Eth0"))),
        ],
        "decision table",
    );
    assert_eq!(parse(b"fe80::1%\xff\xfe"), Err(ZoneCharacter));
}

/// IPv4 and IPv6 text as `inet:parse_address/1` reads it on OTP 25.2
/// (checked in `erl`); the Erlang suite compares the two on random text.
#[test]
fn otp_compatible_without_zone() {
    let v4 = |a, b, c, d| Ok(Parsed::V4(Ipv4Addr::new(a, b, c, d)));
    check(
        &[
            ("127.1", v4(127, 0, 0, 1)),
            ("10.1.2", v4(10, 1, 0, 2)),
            ("3232235777", v4(192, 168, 1, 1)),
            ("0x7f.1", v4(127, 0, 0, 1)),
            ("0xc0.0xa8.0x8c.0xff", v4(192, 168, 140, 255)),
            ("0300.0250.0214.0377", v4(192, 168, 140, 255)),
            ("010.000.015.001", v4(8, 0, 13, 1)),
            ("+1.2.3.4", v4(1, 2, 3, 4)),
            ("-0.2.3.4", v4(0, 2, 3, 4)),
            ("-1.2.3.4", Err(Address)),
            ("0x0.1.2.3", Err(Address)),
            ("0x.1.2.3", Err(Address)),
            ("08.1.2.3", Err(Address)),
            ("256.1.2.3", Err(Address)),
            ("1.2.65536", Err(Address)),
            ("4294967296", Err(Address)),
            ("::", Ok(Parsed::V6(Ipv6Addr::UNSPECIFIED))),
            ("::1.2.3.4", Ok(Parsed::V6(v6("::102:304")))),
            ("::1.+2.3.4", Ok(Parsed::V6(v6("::102:304")))),
            ("::01.2.3.4", Err(Address)),
            ("1.2.3.4::", Err(Address)),
            ("1:2:3:4:5:6:7::", Ok(Parsed::V6(v6("1:2:3:4:5:6:7:0")))),
            ("::1:2:3:4:5:6:7", Ok(Parsed::V6(v6("0:1:2:3:4:5:6:7")))),
            (
                "1:2:3:4:5:6:1.2.3.4",
                Ok(Parsed::V6(v6("1:2:3:4:5:6:102:304"))),
            ),
            (":::", Err(Address)),
            (":1::", Err(Address)),
            ("1:", Err(Address)),
            ("00001::", Err(Address)),
        ],
        "OTP inet:parse_address",
    );
}

#[test]
fn text_longer_than_any_address_is_refused_unread() {
    // The longest address text there is, and one byte more.
    let longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%abcdefghijklmno";
    assert_eq!(longest.len(), MAX_TEXT_LEN);
    assert_eq!(
        parse(longest.as_bytes()),
        scoped(
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            Name("abcdefghijklmno")
        )
    );
    assert_eq!(parse(format!("{longest}0").as_bytes()), Err(TooLong));
    // OTP reads IPv4 fields padded with any number of zeros; we stop at
    // the limit (the one place we differ from inet:parse_address/1).
    let padded = format!("127.0.0.{}1", "0".repeat(MAX_TEXT_LEN));
    assert_eq!(parse(padded.as_bytes()), Err(TooLong));
    assert_eq!(parse(&vec![b'1'; 1 << 20]), Err(TooLong));
}

#[test]
fn rfc5952_text() {
    // RFC 5952 section 4 examples and section 5 (IPv4-mapped, dotted).
    for (addr, want) in [
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("2001:DB8::AAAA", "2001:db8::aaaa"),
        ("0:0:0:0:0:ffff:c000:0280", "::ffff:192.0.2.128"),
        ("fe80:0:0:0:0:0:0:1", "fe80::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
    ] {
        assert_eq!(format(v6(addr)).as_str(), want);
        let text = format_scoped(v6(addr), Index(3)).unwrap();
        assert_eq!(text.as_str(), format!("{want}%3"));
    }
    let scoped = |addr, zone| format_scoped(v6(addr), zone).map(|t| t.as_str().to_owned());
    assert_eq!(scoped("fe80::1", Name("eth0")).unwrap(), "fe80::1%eth0");
    assert_eq!(
        scoped("fe80::1", Index(u32::MAX)).unwrap(),
        "fe80::1%4294967295"
    );
    assert_eq!(scoped("fe80::1", Index(0)).unwrap(), "fe80::1%0");
    assert_eq!(scoped("fe80::1", Name("a b")), Err(ZoneCharacter));
    assert_eq!(scoped("fe80::1", Name("")), Err(EmptyZone));
    let longest = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    let text = scoped(longest, Name("abcdefghijklmno")).unwrap();
    assert_eq!(text.len(), 39 + 1 + 15);
}

#[test]
fn which_addresses_need_a_scope() {
    for (addr, want) in [
        ("fe80::1", true),
        ("febf:ffff::1", true),
        ("fec0::1", false),
        ("ff02::1", true),
        ("ff01::1", true),
        ("ff12::1", true),
        ("ff05::1", false),
        ("ff0e::1", false),
        ("2001:db8::1", false),
        ("::1", false),
    ] {
        assert_eq!(needs_scope(v6(addr)), want, "{addr}");
    }
}

#[test]
fn kame_embedded_scope_is_normalized() {
    assert_eq!(normalize_kame(v6("fe80:4::1"), 0), (v6("fe80::1"), 4));
    assert_eq!(normalize_kame(v6("ff02:7::fb"), 0), (v6("ff02::fb"), 7));
    // Left alone: a real scope id, nothing embedded, or a global address.
    assert_eq!(normalize_kame(v6("fe80::1"), 3), (v6("fe80::1"), 3));
    assert_eq!(normalize_kame(v6("fe80::1"), 0), (v6("fe80::1"), 0));
    assert_eq!(normalize_kame(v6("2001:4::1"), 0), (v6("2001:4::1"), 0));
}

fn zone_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u32>().prop_map(|i| i.to_string()),
        "[a-zA-Z][a-zA-Z0-9_.-]{0,14}",
    ]
}

proptest! {
    #[test]
    fn format_then_parse_is_identity(bits in any::<u128>(), zone in zone_strategy()) {
        let addr = Ipv6Addr::from(bits);
        let zone = parse_zone(zone.as_bytes()).unwrap();
        let text = format_scoped(addr, zone).unwrap();
        prop_assert_eq!(parse(text.as_str().as_bytes()), Ok(Parsed::Scoped(addr, zone)));
    }

    #[test]
    fn format_is_std_display(bits in any::<u128>(), zeros in any::<u8>()) {
        // Zero some groups, so that runs of every length and position occur.
        let mut words = Ipv6Addr::from(bits).segments();
        for (i, word) in words.iter_mut().enumerate() {
            if zeros & (1 << i) != 0 {
                *word = 0;
            }
        }
        let addr = Ipv6Addr::from(words);
        let ours = format(addr);
        prop_assert_eq!(ours.as_str(), addr.to_string());
    }

    #[test]
    fn unscoped_text_agrees_with_std(bits in any::<u128>()) {
        let addr = Ipv6Addr::from(bits);
        let text = addr.to_string();
        prop_assert_eq!(parse(text.as_bytes()), Ok(Parsed::V6(addr)));
        let v4 = Ipv4Addr::from(bits as u32);
        let text = v4.to_string();
        prop_assert_eq!(parse(text.as_bytes()), Ok(Parsed::V4(v4)));
    }

    #[test]
    fn parse_never_panics(text in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_address_like_text(text in "[0-9a-fA-FxX:.%+-]{0,48}") {
        let _ = parse(text.as_bytes());
    }
}

/// Valid address text (IPv6, IPv4, scoped), then up to three random byte
/// edits: most of it stays close to valid, where parsers break.
fn near_valid_text() -> impl Strategy<Value = Vec<u8>> {
    let valid = prop_oneof![
        any::<u128>().prop_map(|b| Ipv6Addr::from(b).to_string()),
        any::<u32>().prop_map(|b| Ipv4Addr::from(b).to_string()),
        (any::<u128>(), zone_strategy()).prop_map(|(b, z)| format!("{}%{z}", Ipv6Addr::from(b))),
    ];
    let edits =
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..4);
    (valid, edits).prop_map(|(text, edits)| {
        let mut bytes = text.into_bytes();
        for (at, byte, kind) in edits {
            let at = at.index(bytes.len() + 1);
            match kind {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => bytes[at] = byte,
                _ if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => {}
            }
        }
        bytes
    })
}

/// The parser fuzzed: a million inputs by default (`SCOPED_IPV6_FUZZ_CASES`
/// changes it): raw bytes, address-like text, and valid text with random
/// edits, so the early rejections and the deep paths (zones, IPv4 tails,
/// "::") are both exercised.
/// The count run is printed; `parse` must return, never panic.
#[test]
fn fuzz_parse_a_million_inputs() {
    use proptest::test_runner::{Config, TestRunner};
    let cases: u32 = std::env::var("SCOPED_IPV6_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let inputs = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..48),
        "[0-9a-fA-FxX:.%+-]{0,40}(%[a-z0-9%./: -]{0,18})?".prop_map(String::into_bytes),
        near_valid_text(),
    ];
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let accepted = std::cell::Cell::new(0u32);
    runner
        .run(&inputs, |text| {
            if parse(&text).is_ok() {
                accepted.set(accepted.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    println!(
        "fuzz: {cases} inputs parsed without a panic, {} accepted",
        accepted.get()
    );
    assert!(
        accepted.get() > 0,
        "the generator must reach valid addresses too"
    );
}
