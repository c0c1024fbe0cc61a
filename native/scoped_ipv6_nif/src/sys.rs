//! The OS calls that socket2 does not wrap: interface names, indexes and
//! addresses. The only module with `unsafe` besides the BEAM's `select`;
//! one call a block, each with its SAFETY line, errno read in one helper.

use std::ffi::{CStr, CString};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ptr;

/// `if_nametoindex(3)`: `Ok(None)` when no interface has that name.
pub fn if_nametoindex(name: &str) -> io::Result<Option<u32>> {
    let name = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index != 0 {
        return Ok(Some(index));
    }
    match io::Error::last_os_error().raw_os_error() {
        Some(libc::ENODEV) | Some(libc::ENXIO) | Some(0) | None => Ok(None),
        Some(errno) => Err(io::Error::from_raw_os_error(errno)),
    }
}

/// `if_indextoname(3)`: `Ok(None)` when no interface has that index.
pub fn if_indextoname(index: u32) -> io::Result<Option<String>> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has the IF_NAMESIZE bytes the call may write.
    let name = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if name.is_null() {
        return match io::Error::last_os_error().raw_os_error() {
            Some(libc::ENXIO) | Some(libc::ENODEV) => Ok(None),
            _ => Err(io::Error::last_os_error()),
        };
    }
    // SAFETY: on success the call wrote a NUL-terminated name into `buf`.
    let name = unsafe { CStr::from_ptr(buf.as_ptr()) };
    Ok(Some(name.to_string_lossy().into_owned()))
}

/// One entry of `getifaddrs(3)`, copied out of the OS's list.
#[derive(Debug, Clone)]
pub struct IfAddrEntry {
    pub name: String,
    pub flags: u32,
    /// The address with its `sin6_scope_id` (0 for IPv4).
    pub addr: Option<(IpAddr, u32)>,
    pub netmask: Option<IpAddr>,
}

/// `getifaddrs(3)`, copied into owned entries and freed before returning.
pub fn getifaddrs() -> io::Result<Vec<IfAddrEntry>> {
    let mut head: *mut libc::ifaddrs = ptr::null_mut();
    // SAFETY: `head` is a valid place for the call to store its list.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut entries = Vec::new();
    let mut cursor = head;
    while !cursor.is_null() {
        // SAFETY: `cursor` is a node of the list getifaddrs returned, not yet freed.
        let node = unsafe { &*cursor };
        // SAFETY: `ifa_name` of a list node is a NUL-terminated string.
        let name = unsafe { CStr::from_ptr(node.ifa_name) };
        entries.push(IfAddrEntry {
            name: name.to_string_lossy().into_owned(),
            flags: node.ifa_flags,
            addr: sockaddr_to_ip(node.ifa_addr),
            netmask: sockaddr_to_ip(node.ifa_netmask).map(|(ip, _)| ip),
        });
        cursor = node.ifa_next;
    }
    // SAFETY: `head` came from getifaddrs and is freed once, after the last use.
    unsafe { libc::freeifaddrs(head) };
    Ok(entries)
}

/// Reads an IPv4 or IPv6 `sockaddr` (null or another family: `None`).
fn sockaddr_to_ip(sa: *const libc::sockaddr) -> Option<(IpAddr, u32)> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: a non-null sockaddr from getifaddrs starts with its family.
    let family = i32::from(unsafe { (*sa).sa_family });
    match family {
        libc::AF_INET => {
            // SAFETY: an AF_INET sockaddr is a sockaddr_in; it may be unaligned.
            let sin = unsafe { ptr::read_unaligned(sa.cast::<libc::sockaddr_in>()) };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some((IpAddr::V4(ip), 0))
        }
        libc::AF_INET6 => {
            // SAFETY: an AF_INET6 sockaddr is a sockaddr_in6; it may be unaligned.
            let sin6 = unsafe { ptr::read_unaligned(sa.cast::<libc::sockaddr_in6>()) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some((IpAddr::V6(ip), sin6.sin6_scope_id))
        }
        _ => None,
    }
}
