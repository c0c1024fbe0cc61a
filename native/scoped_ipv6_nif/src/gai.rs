//! `getaddrinfo(3)`, with its `EAI_*` answer kept: std's lookup turns every
//! failure into one opaque error, so a caller could not tell "no such
//! name" from "the DNS server did not answer".

use std::ffi::CString;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::ptr;

/// Why a lookup failed, one variant per answer a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum GaiError {
    /// `EAI_NONAME` (and `EAI_NODATA`): the name has no address.
    #[error("no such host name")]
    NoName,
    /// `EAI_AGAIN`: a temporary failure, e.g. a DNS server that did not answer.
    #[error("temporary failure in name resolution")]
    Again,
    /// `EAI_FAIL`: a permanent failure of the name server.
    #[error("non-recoverable failure in name resolution")]
    Fail,
    /// `EAI_MEMORY`, or `EAI_SYSTEM` with its errno.
    #[error(transparent)]
    Os(io::Error),
    /// A name with a NUL byte, or an `EAI_*` code that only a wrong call gives.
    #[error("invalid lookup")]
    Invalid,
}

/// The addresses of `host` (IPv6 first when the resolver orders them so),
/// each with the scope the resolver gave it.
pub fn lookup(host: &str) -> Result<Vec<SocketAddr>, GaiError> {
    let host = CString::new(host).map_err(|_| GaiError::Invalid)?;
    // SAFETY: addrinfo is plain data; all zeroes is the documented "no hints".
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut list: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: `host` is NUL-terminated, `hints` and `list` are valid for the call.
    let rc = unsafe { libc::getaddrinfo(host.as_ptr(), ptr::null(), &hints, &mut list) };
    if rc != 0 {
        return Err(gai_error(rc));
    }
    let mut addrs = Vec::new();
    let mut cursor = list;
    while !cursor.is_null() {
        // SAFETY: `cursor` is a node of the list getaddrinfo returned, not yet freed.
        let node = unsafe { &*cursor };
        if let Some(addr) = socket_addr(node) {
            addrs.push(addr);
        }
        cursor = node.ai_next;
    }
    // SAFETY: `list` came from getaddrinfo and is freed once, after the last use.
    unsafe { libc::freeaddrinfo(list) };
    Ok(addrs)
}

fn socket_addr(node: &libc::addrinfo) -> Option<SocketAddr> {
    if node.ai_addr.is_null() {
        return None;
    }
    match node.ai_family {
        libc::AF_INET => {
            // SAFETY: an AF_INET entry's ai_addr is a sockaddr_in; it may be unaligned.
            let sin = unsafe { ptr::read_unaligned(node.ai_addr.cast::<libc::sockaddr_in>()) };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, 0)))
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 entry's ai_addr is a sockaddr_in6; it may be unaligned.
            let sin6 = unsafe { ptr::read_unaligned(node.ai_addr.cast::<libc::sockaddr_in6>()) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                0,
                0,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

fn gai_error(rc: i32) -> GaiError {
    match rc {
        libc::EAI_NONAME => GaiError::NoName,
        #[cfg(any(
            target_os = "linux",
            target_os = "macos",
            target_os = "netbsd",
            target_os = "openbsd"
        ))]
        libc::EAI_NODATA => GaiError::NoName,
        libc::EAI_AGAIN => GaiError::Again,
        libc::EAI_FAIL => GaiError::Fail,
        libc::EAI_MEMORY => GaiError::Os(io::Error::from_raw_os_error(libc::ENOMEM)),
        libc::EAI_SYSTEM => GaiError::Os(crate::sys::errno()),
        _ => GaiError::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_resolves_and_nonsense_is_no_name() {
        let addrs = lookup("localhost").unwrap();
        assert!(addrs.iter().any(|a| a.ip().is_loopback()), "{addrs:?}");
        // RFC 6761: .invalid never resolves (answered without the network
        // by /etc/hosts-only setups too, as no such name).
        assert!(matches!(
            lookup("no-such-host.invalid"),
            Err(GaiError::NoName) | Err(GaiError::Again)
        ));
        assert!(matches!(lookup("a\0b"), Err(GaiError::Invalid)));
    }
}
