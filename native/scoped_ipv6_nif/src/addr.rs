//! Address text <-> address, with RFC 4007 zones. Pure: no OS calls, no BEAM.
//!
//! Without a `%`, [`parse`] accepts exactly what OTP's `inet:parse_address/1`
//! accepts and gives the same address (a differential test in the Erlang
//! suite holds us to that), so it can replace it. With a `%`, the zone is kept
//! as an interface index (all digits) or an interface name (anything else);
//! turning a name into an index is the job of `iface`, not of this module.
//! Which addresses may carry a zone at all (not `::`, not IPv4-mapped:
//! RFC 4007 section 11) is not a question of syntax: `scoped_ipv6_addr`
//! decides it for every address, parsed from text or given as a tuple.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest zone text: the platform's interface-name limit (15 bytes on
/// Linux and the BSDs: `IF_NAMESIZE` counts the NUL).
pub const MAX_ZONE_LEN: usize = libc::IF_NAMESIZE - 1;

/// Longest address text: an IPv6 address with an IPv4 tail
/// (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`, 45 bytes), `%`, and a
/// zone. Longer text is refused before it is read: untrusted text of any
/// length reaches [`parse`] (it replaces `inet:parse_address/1`). The one
/// place OTP differs: it reads IPv4 fields padded with any number of zeros.
pub const MAX_TEXT_LEN: usize = 45 + 1 + MAX_ZONE_LEN;

/// A zone as written: an interface index or an interface name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone<'a> {
    Index(u32),
    Name(&'a str),
}

/// What address text means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'a> {
    V4(Ipv4Addr),
    V6(Ipv6Addr),
    Scoped(Ipv6Addr, Zone<'a>),
}

/// Why text is not an address. The BEAM sees all of these as `einval`;
/// the detail is here so that tests can say which rule rejected an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("not an IPv4 or IPv6 address")]
    Address,
    #[error("longer than any address text")]
    TooLong,
    #[error("empty zone")]
    EmptyZone,
    #[error("zone longer than the interface-name limit")]
    ZoneTooLong,
    #[error("zone holds a character no interface name can hold")]
    ZoneCharacter,
    #[error("numeric zone above 2^32-1")]
    ZoneIndexTooLarge,
    #[error("zone on an IPv4 address")]
    ZoneOnIpv4,
}

/// Parses address text, with an optional `%zone` on IPv6 addresses.
pub fn parse(text: &[u8]) -> Result<Parsed<'_>, Invalid> {
    if text.len() > MAX_TEXT_LEN {
        return Err(Invalid::TooLong);
    }
    let (addr_text, zone_text) = match text.iter().position(|&b| b == b'%') {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    if let Some(v4) = parse_ipv4_legacy(addr_text) {
        return match zone_text {
            None => Ok(Parsed::V4(v4)),
            Some(_) => Err(Invalid::ZoneOnIpv4),
        };
    }
    let v6 = parse_ipv6_strict(addr_text).ok_or(Invalid::Address)?;
    match zone_text {
        None => Ok(Parsed::V6(v6)),
        Some(zone_text) => Ok(Parsed::Scoped(v6, parse_zone(zone_text)?)),
    }
}

/// Parses zone text: all ASCII digits is an index (leading zeros allowed,
/// as in glibc), anything else a name that some interface could carry.
pub fn parse_zone(zone: &[u8]) -> Result<Zone<'_>, Invalid> {
    if zone.is_empty() {
        return Err(Invalid::EmptyZone);
    }
    if zone.len() > MAX_ZONE_LEN {
        return Err(Invalid::ZoneTooLong);
    }
    if zone.iter().all(u8::is_ascii_digit) {
        let index = zone
            .iter()
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        return u32::try_from(index)
            .map(Zone::Index)
            .map_err(|_| Invalid::ZoneIndexTooLarge);
    }
    check_zone_name(zone).map(Zone::Name)
}

/// An interface name as Linux's `dev_valid_name` allows it, less what
/// cannot be printed: no NUL or other control character, no white space,
/// no `/`, `:` or `%`, not `.` or `..`, valid UTF-8.
pub fn check_zone_name(name: &[u8]) -> Result<&str, Invalid> {
    if name.is_empty() {
        return Err(Invalid::EmptyZone);
    }
    if name.len() > MAX_ZONE_LEN {
        return Err(Invalid::ZoneTooLong);
    }
    let forbidden = |b: &u8| b.is_ascii_control() || b" /:%".contains(b);
    if name.iter().any(forbidden) || name == b"." || name == b".." {
        return Err(Invalid::ZoneCharacter);
    }
    std::str::from_utf8(name).map_err(|_| Invalid::ZoneCharacter)
}

/// Address text, built on the stack: at most `MAX_TEXT_LEN` bytes.
#[derive(Clone, Copy)]
pub struct Text {
    buf: [u8; MAX_TEXT_LEN],
    len: usize,
}

impl Text {
    fn new() -> Self {
        Text {
            buf: [0; MAX_TEXT_LEN],
            len: 0,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn push_decimal(&mut self, mut n: u32) {
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[at..]);
    }

    fn push_hex(&mut self, word: u16) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let nibbles = [word >> 12, (word >> 8) & 0xf, (word >> 4) & 0xf, word & 0xf];
        let first = nibbles.iter().position(|&n| n != 0).unwrap_or(3);
        for &nibble in &nibbles[first..] {
            self.push(&[HEX[usize::from(nibble)]]);
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII and whole UTF-8 zone names are ever pushed.
        std::str::from_utf8(&self.buf[..self.len]).expect("address text is UTF-8")
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// RFC 5952 text: lowercase, no leading zeros, the longest run of two or
/// more zero groups (the first of equals) as `::`, IPv4-mapped in dotted
/// form (section 5). The same text as std's `Display`, without `fmt`
/// (a property test holds the two together).
pub fn format(addr: Ipv6Addr) -> Text {
    let mut text = Text::new();
    if let Some(v4) = addr.to_ipv4_mapped() {
        text.push(b"::ffff:");
        for (i, octet) in v4.octets().iter().enumerate() {
            if i > 0 {
                text.push(b".");
            }
            text.push_decimal(u32::from(*octet));
        }
        return text;
    }
    let words = addr.segments();
    let (run_at, run_len) = longest_zero_run(&words);
    let mut i = 0;
    while i < 8 {
        if run_len >= 2 && i == run_at {
            text.push(b"::");
            i += run_len;
            continue;
        }
        if i > 0 && !(run_len >= 2 && i == run_at + run_len) {
            text.push(b":");
        }
        text.push_hex(words[i]);
        i += 1;
    }
    text
}

fn longest_zero_run(words: &[u16; 8]) -> (usize, usize) {
    let (mut best_at, mut best_len, mut at, mut len) = (0, 0, 0, 0);
    for (i, &word) in words.iter().enumerate() {
        if word == 0 {
            if len == 0 {
                at = i;
            }
            len += 1;
            if len > best_len {
                (best_at, best_len) = (at, len);
            }
        } else {
            len = 0;
        }
    }
    (best_at, best_len)
}

/// RFC 5952 text plus `%zone`. Refuses a zone name [`parse`] would.
pub fn format_scoped(addr: Ipv6Addr, zone: Zone<'_>) -> Result<Text, Invalid> {
    let mut text = format(addr);
    text.push(b"%");
    match zone {
        Zone::Index(index) => text.push_decimal(index),
        Zone::Name(name) => text.push(check_zone_name(name.as_bytes())?.as_bytes()),
    }
    Ok(text)
}

/// Whether an IPv6 address means nothing without a zone: link-local unicast
/// (fe80::/10) and interface- or link-local multicast (ffx1::, ffx2::).
pub fn needs_scope(addr: Ipv6Addr) -> bool {
    let first = addr.segments()[0];
    let link_local_unicast = first & 0xffc0 == 0xfe80;
    let small_multicast = first & 0xff00 == 0xff00 && matches!(first & 0x000f, 1 | 2);
    link_local_unicast || small_multicast
}

/// BSD and macOS kernels may hand out a link-local address with its
/// interface index embedded in bytes 2-3 and `sin6_scope_id` 0 (the KAME
/// form). Returns the address as the wire knows it and the real scope.
pub fn normalize_kame(addr: Ipv6Addr, scope_id: u32) -> (Ipv6Addr, u32) {
    let mut words = addr.segments();
    if scope_id != 0 || words[1] == 0 || !needs_scope(addr) {
        return (addr, scope_id);
    }
    let embedded = u32::from(words[1]);
    words[1] = 0;
    (Ipv6Addr::from(words), embedded)
}

// ---- OTP's IPv4 grammar (inet_parse:ipv4_address/1) -----------------------
//
// One to four dot-separated fields, each decimal, octal (leading 0) or hex
// (0x), the last field filling the remaining bytes. Quirks kept on purpose,
// because OTP has them: `list_to_integer/2` accepts a sign, so "+1" and "-0"
// are fields, and a hex field is at most 8 digits after its leading zeros.

fn parse_ipv4_legacy(text: &[u8]) -> Option<Ipv4Addr> {
    let mut fields = [0u64; 4];
    let mut count = 0;
    let mut rest = text;
    loop {
        if count == 4 {
            return None;
        }
        let end = rest.iter().position(|&b| b == b'.').unwrap_or(rest.len());
        fields[count] = ipv4_legacy_field(&rest[..end])?;
        count += 1;
        if end == rest.len() {
            break;
        }
        rest = &rest[end + 1..];
        if rest.is_empty() {
            return None;
        }
    }
    let last = fields[count - 1];
    let leading = &fields[..count - 1];
    if leading.iter().any(|&f| f > 0xff) {
        return None;
    }
    let last_bits = 8 * (5 - count as u32);
    if last_bits < 64 && last >> last_bits != 0 {
        return None;
    }
    let value = leading
        .iter()
        .enumerate()
        .fold(last, |acc, (i, &f)| acc | f << (24 - 8 * i));
    Some(Ipv4Addr::from(u32::try_from(value).ok()?))
}

fn ipv4_legacy_field(field: &[u8]) -> Option<u64> {
    if let Some(hex) = field
        .strip_prefix(b"0x")
        .or_else(|| field.strip_prefix(b"0X"))
    {
        let digits = strip_zeros(hex);
        return (digits.len() <= 8).then(|| signed_integer(digits, 16))?;
    }
    if let Some(octal) = field.strip_prefix(b"0") {
        // OTP keeps one "0" in front, so the sign rule cannot apply here.
        let digits = strip_zeros(octal);
        if digits.is_empty() {
            return Some(0);
        }
        return (digits.len() <= 11 && digits.iter().all(|b| (b'0'..=b'7').contains(b)))
            .then(|| unsigned_integer(digits, 8))?;
    }
    (field.len() <= 10).then(|| signed_integer(field, 10))?
}

fn strip_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&b| b == b'0').count();
    &digits[zeros..]
}

/// `erlang:list_to_integer/2` followed by OTP's "not negative" check.
fn signed_integer(text: &[u8], radix: u32) -> Option<u64> {
    let (negative, digits) = match text.split_first() {
        Some((b'+', rest)) => (false, rest),
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let value = unsigned_integer(digits, radix)?;
    (!negative || value == 0).then_some(value)
}

fn unsigned_integer(digits: &[u8], radix: u32) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        let digit = char::from(b).to_digit(radix)?;
        acc.checked_mul(u64::from(radix))?
            .checked_add(u64::from(digit))
    })
}

// ---- OTP's IPv6 grammar (inet_parse:ipv6strict_address/1) ------------------
//
// RFC 4291 text: 1-4 hex digits a group, at most one "::" standing for one
// or more zero groups, and a dotted-decimal IPv4 tail in place of the last
// two groups. OTP's IPv4 tail reads each field with list_to_integer/2, so a
// sign is accepted after the first field; kept for the same reason as above.

fn parse_ipv6_strict(text: &[u8]) -> Option<Ipv6Addr> {
    let (head, tail) = match find_double_colon(text) {
        Some(at) => (&text[..at], Some(&text[at + 2..])),
        None => (text, None),
    };
    let mut head_groups = [0u16; 8];
    let head_len = ipv6_groups(head, tail.is_none(), &mut head_groups)?;
    let mut words = [0u16; 8];
    match tail {
        None => {
            if head_len != 8 {
                return None;
            }
            words = head_groups;
        }
        Some(tail) => {
            let mut tail_groups = [0u16; 8];
            let tail_len = ipv6_groups(tail, true, &mut tail_groups)?;
            if head_len + tail_len > 7 {
                return None;
            }
            words[..head_len].copy_from_slice(&head_groups[..head_len]);
            words[8 - tail_len..].copy_from_slice(&tail_groups[..tail_len]);
        }
    }
    Some(Ipv6Addr::from(words))
}

fn find_double_colon(text: &[u8]) -> Option<usize> {
    text.windows(2).position(|w| w == b"::")
}

/// Parses colon-separated groups into `out`, returning how many. An IPv4
/// tail (two groups) is allowed only where the text ends. Empty text is
/// zero groups.
fn ipv6_groups(text: &[u8], ends_text: bool, out: &mut [u16; 8]) -> Option<usize> {
    if text.is_empty() {
        return Some(0);
    }
    let mut count = 0;
    let mut pieces = text.split(|&b| b == b':').peekable();
    while let Some(piece) = pieces.next() {
        let is_last = pieces.peek().is_none();
        if ends_text && is_last && piece.contains(&b'.') {
            if count > 6 {
                return None;
            }
            let v4 = parse_ipv4_strict_tail(piece)?.octets();
            out[count] = u16::from_be_bytes([v4[0], v4[1]]);
            out[count + 1] = u16::from_be_bytes([v4[2], v4[3]]);
            return Some(count + 2);
        }
        if count == 8 || piece.is_empty() || piece.len() > 4 {
            return None;
        }
        out[count] = u16::try_from(unsigned_integer(piece, 16)?).ok()?;
        count += 1;
    }
    Some(count)
}

fn parse_ipv4_strict_tail(text: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut fields = text.split(|&b| b == b'.');
    for (i, octet) in octets.iter_mut().enumerate() {
        let field = fields.next()?;
        let value = match field {
            b"0" => 0,
            // The first field comes from the hex group before it: no sign.
            _ if field.first() == Some(&b'0') || field.is_empty() || field.len() > 3 => {
                return None
            }
            _ if i == 0 => unsigned_integer(field, 10)?,
            _ => signed_integer(field, 10)?,
        };
        *octet = u8::try_from(value).ok()?;
    }
    fields.next().is_none().then_some(Ipv4Addr::from(octets))
}

#[cfg(test)]
#[path = "addr_tests.rs"]
mod tests;
