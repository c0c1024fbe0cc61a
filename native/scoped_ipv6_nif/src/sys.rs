//! The libc calls the standard library does not wrap: interface names, indexes and
//! addresses. One of the two modules with `unsafe` (with `gai`);
//! one call a block, each with its SAFETY line, errno read in one helper.

use std::ffi::{CStr, CString};
use std::io;
use std::mem::{self, MaybeUninit};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;
use std::ptr;

/// The calling thread's errno, read once, right after the failed call.
pub(crate) fn errno() -> io::Error {
    io::Error::last_os_error()
}

/// `if_nametoindex(3)`: `Ok(None)` when no interface has that name.
pub fn if_nametoindex(name: &str) -> io::Result<Option<u32>> {
    let name = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `name` is a valid NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    if index != 0 {
        return Ok(Some(index));
    }
    let err = errno();
    match err.raw_os_error() {
        Some(libc::ENODEV) | Some(libc::ENXIO) | Some(0) | None => Ok(None),
        Some(_) => Err(err),
    }
}

/// `if_indextoname(3)`: `Ok(None)` when no interface has that index.
pub fn if_indextoname(index: u32) -> io::Result<Option<String>> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has the IF_NAMESIZE bytes the call may write.
    let name = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if name.is_null() {
        let err = errno();
        return match err.raw_os_error() {
            Some(libc::ENXIO) | Some(libc::ENODEV) => Ok(None),
            _ => Err(err),
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
        return Err(errno());
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

/// `getsockname(2)` or `getpeername(2)` on a descriptor the BEAM owns (a
/// gen_tcp/gen_udp port's), with the scope the inet driver drops.
pub fn socket_addr(fd: RawFd, peer: bool) -> io::Result<SocketAddr> {
    let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
    let mut len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let sa = storage.as_mut_ptr().cast::<libc::sockaddr>();
    let rc = if peer {
        // SAFETY: `sa` and `len` describe a writable sockaddr_storage; the
        // call fails with EBADF/ENOTSOCK on a descriptor that is no socket.
        unsafe { libc::getpeername(fd, sa, &mut len) }
    } else {
        // SAFETY: as above.
        unsafe { libc::getsockname(fd, sa, &mut len) }
    };
    if rc != 0 {
        return Err(errno());
    }
    // SAFETY: the call succeeded, so the storage holds an initialized sockaddr.
    let storage = unsafe { storage.assume_init() };
    storage_to_socket_addr(&storage)
}

fn storage_to_socket_addr(storage: &libc::sockaddr_storage) -> io::Result<SocketAddr> {
    let sa = (storage as *const libc::sockaddr_storage).cast::<libc::sockaddr>();
    let port = |p: u16| u16::from_be(p);
    match sockaddr_to_ip(sa) {
        Some((IpAddr::V4(ip), _)) => {
            // SAFETY: an AF_INET sockaddr_storage holds a sockaddr_in.
            let sin = unsafe { ptr::read_unaligned(sa.cast::<libc::sockaddr_in>()) };
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, port(sin.sin_port))))
        }
        Some((IpAddr::V6(ip), scope)) => {
            // SAFETY: an AF_INET6 sockaddr_storage holds a sockaddr_in6.
            let sin6 = unsafe { ptr::read_unaligned(sa.cast::<libc::sockaddr_in6>()) };
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                port(sin6.sin6_port),
                0,
                scope,
            )))
        }
        None => Err(io::Error::from_raw_os_error(libc::EAFNOSUPPORT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    #[test]
    fn socket_addr_reads_both_ends_of_a_connection() {
        let listener = TcpListener::bind("[::1]:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let fd = client.as_raw_fd();
        assert_eq!(
            socket_addr(fd, true).unwrap(),
            listener.local_addr().unwrap()
        );
        assert_eq!(
            socket_addr(fd, false).unwrap(),
            client.local_addr().unwrap()
        );
        let lo = if_nametoindex(if cfg!(target_os = "linux") {
            "lo"
        } else {
            "lo0"
        });
        assert!(lo.unwrap().is_some());
    }

    #[test]
    fn socket_addr_on_a_non_socket_is_an_error() {
        let file = std::fs::File::open("/dev/null").unwrap();
        let err = socket_addr(file.as_raw_fd(), false).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOTSOCK));
    }
}
