//! Terms <-> Rust: `inet:ip6_address()` 8-tuples, 4-tuples, zones (an
//! index, or a name as a binary), socket setups, and errors. rustler decodes tuples up to 7
//! elements and truncates out-of-range `u16`s, so both are done by hand.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use rustler::types::tuple::{get_tuple, make_tuple};
use rustler::{Atom, Encoder, Env, Error, NifResult, Term};

use crate::addr;
use crate::atoms;
use crate::error::{Error as NifError, OwnedZone};

pub fn decode_ip6(term: Term<'_>) -> NifResult<Ipv6Addr> {
    let words = get_tuple(term)?;
    if words.len() != 8 {
        return Err(Error::BadArg);
    }
    let mut segments = [0u16; 8];
    for (segment, word) in segments.iter_mut().zip(words) {
        *segment = u16::try_from(word.decode::<u32>()?).map_err(|_| Error::BadArg)?;
    }
    Ok(Ipv6Addr::from(segments))
}

/// A 4-tuple of bytes or an 8-tuple of 16-bit words: `inet:ip_address()`.
pub fn decode_ip(term: Term<'_>) -> NifResult<IpAddr> {
    let parts = get_tuple(term)?;
    if parts.len() == 8 {
        return decode_ip6(term).map(IpAddr::V6);
    }
    if parts.len() != 4 {
        return Err(Error::BadArg);
    }
    let mut octets = [0u8; 4];
    for (octet, part) in octets.iter_mut().zip(parts) {
        *octet = u8::try_from(part.decode::<u32>()?).map_err(|_| Error::BadArg)?;
    }
    Ok(IpAddr::V4(Ipv4Addr::from(octets)))
}

/// A zone term: an index `0..2^32-1`, or a name as a binary or a charlist.
/// A name that no interface could carry is `Ok(Err(_))`: bad input, but of
/// the right type. A name is read no further than the longest one allowed.
pub fn decode_zone(term: Term<'_>) -> NifResult<Result<OwnedZone, addr::Invalid>> {
    if let Ok(index) = term.decode::<u32>() {
        return Ok(Ok(OwnedZone::Index(index)));
    }
    let name = match decode_text(term, addr::MAX_ZONE_LEN)? {
        Ok(name) => name,
        Err(invalid) => return Ok(Err(invalid)),
    };
    Ok(addr::check_zone_name(&name).map(|name| OwnedZone::Name(name.to_owned())))
}

/// Text of at most `max` bytes as UTF-8, from a binary or a charlist (what
/// `inet` takes), read no further than `max`: longer text is
/// `Ok(Err(TooLong))`, a list that is not a flat string of code points
/// `Ok(Err(ZoneCharacter))`; any other term is badarg.
pub fn decode_text(term: Term<'_>, max: usize) -> NifResult<Result<Vec<u8>, addr::Invalid>> {
    if let Ok(binary) = term.decode::<rustler::Binary>() {
        if binary.len() > max {
            return Ok(Err(addr::Invalid::TooLong));
        }
        return Ok(Ok(binary.as_slice().to_vec()));
    }
    let chars: rustler::ListIterator = term.decode()?;
    let mut bytes = Vec::with_capacity(max);
    for element in chars {
        let Some(c) = element.decode::<u32>().ok().and_then(char::from_u32) else {
            return Ok(Err(addr::Invalid::ZoneCharacter));
        };
        let mut utf8 = [0u8; 4];
        bytes.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        if bytes.len() > max {
            return Ok(Err(addr::Invalid::TooLong));
        }
    }
    Ok(Ok(bytes))
}

pub fn encode_ip6<'a>(env: Env<'a>, ip: Ipv6Addr) -> Term<'a> {
    let words: Vec<Term<'a>> = ip.segments().iter().map(|w| w.encode(env)).collect();
    make_tuple(env, &words)
}

pub fn encode_ip4<'a>(env: Env<'a>, ip: Ipv4Addr) -> Term<'a> {
    let [a, b, c, d] = ip.octets();
    (a, b, c, d).encode(env)
}

pub fn encode_ip<'a>(env: Env<'a>, ip: IpAddr) -> Term<'a> {
    match ip {
        IpAddr::V4(v4) => encode_ip4(env, v4),
        IpAddr::V6(v6) => encode_ip6(env, v6),
    }
}

/// A charlist (Erlang string) of code points.
pub fn encode_charlist<'a>(env: Env<'a>, text: &str) -> Term<'a> {
    text.chars()
        .map(u32::from)
        .collect::<Vec<u32>>()
        .encode(env)
}

/// `{Ip6, Index}` when a scope is given, the plain 8-tuple otherwise.
pub fn encode_scoped<'a>(env: Env<'a>, ip: Ipv6Addr, scope: Option<u32>) -> Term<'a> {
    let ip = encode_ip6(env, ip);
    match scope {
        Some(index) => (ip, index).encode(env),
        None => ip,
    }
}

impl Encoder for OwnedZone {
    fn encode<'a>(&self, env: Env<'a>) -> Term<'a> {
        match self {
            OwnedZone::Index(index) => index.encode(env),
            OwnedZone::Name(name) => name.encode(env),
        }
    }
}

/// The reason of an error, as `{error, Reason}` carries it.
impl Encoder for NifError {
    fn encode<'a>(&self, env: Env<'a>) -> Term<'a> {
        match self {
            NifError::Invalid(_) => atoms::einval().encode(env),
            NifError::NoSuchInterface(zone) => (atoms::no_such_interface(), zone).encode(env),
            NifError::NoSuchHost => atoms::nxdomain().encode(env),
            NifError::TryAgain => atoms::try_again().encode(env),
            NifError::NoRecovery => atoms::no_recovery().encode(env),
            NifError::SystemLimit => atoms::system_limit().encode(env),
            NifError::Os(err) => posix_atom(env, err),
        }
    }
}

/// The errno of an OS error as the atom `inet:format_error/1` knows.
fn posix_atom<'a>(env: Env<'a>, err: &io::Error) -> Term<'a> {
    let name = err
        .raw_os_error()
        .and_then(posix_name)
        .unwrap_or("eunknown");
    Atom::from_str(env, name)
        .expect("a posix name is a valid atom")
        .encode(env)
}

/// Names from a fixed table, so no atom is ever made from input.
fn posix_name(errno: i32) -> Option<&'static str> {
    use libc::*;
    let name = match errno {
        EACCES => "eacces",
        EADDRINUSE => "eaddrinuse",
        EADDRNOTAVAIL => "eaddrnotavail",
        EAFNOSUPPORT => "eafnosupport",
        EAGAIN => "eagain",
        EALREADY => "ealready",
        EBADF => "ebadf",
        ECONNABORTED => "econnaborted",
        ECONNREFUSED => "econnrefused",
        ECONNRESET => "econnreset",
        EHOSTDOWN => "ehostdown",
        EHOSTUNREACH => "ehostunreach",
        EINPROGRESS => "einprogress",
        EINTR => "eintr",
        EINVAL => "einval",
        EIO => "eio",
        EISCONN => "eisconn",
        EMFILE => "emfile",
        EMSGSIZE => "emsgsize",
        ENETDOWN => "enetdown",
        ENETRESET => "enetreset",
        ENETUNREACH => "enetunreach",
        ENFILE => "enfile",
        ENOBUFS => "enobufs",
        ENODEV => "enodev",
        ENOENT => "enoent",
        ENOMEM => "enomem",
        ENOPROTOOPT => "enoprotoopt",
        ENOTCONN => "enotconn",
        ENOTSOCK => "enotsock",
        ENXIO => "enxio",
        EOPNOTSUPP => "eopnotsupp",
        EPERM => "eperm",
        EPIPE => "epipe",
        EPROTONOSUPPORT => "eprotonosupport",
        EPROTOTYPE => "eprototype",
        ETIMEDOUT => "etimedout",
        _ => return None,
    };
    Some(name)
}

/// `{Ip, Port}`, the address scoped (`{Ip6, Index}`) when it needs a scope.
pub fn encode_socket_addr<'a>(env: Env<'a>, addr: SocketAddr) -> Term<'a> {
    let ip = match addr {
        SocketAddr::V6(v6) if addr::needs_scope(*v6.ip()) => {
            encode_scoped(env, *v6.ip(), Some(v6.scope_id()))
        }
        other => encode_ip(env, other.ip()),
    };
    (ip, addr.port()).encode(env)
}
