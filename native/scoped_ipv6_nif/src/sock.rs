//! Sockets, made with socket2: created non-blocking and close-on-exec, given
//! the options that must precede bind/connect, bound and connected with the
//! scope in `sin6_scope_id`. Safe code; an error anywhere drops the socket,
//! and so closes it.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// What must be set on a socket before it is bound or connected. `None`
/// leaves the OS default, except `v6only`, which is always set on an IPv6
/// socket bound to the wildcard (RFC 3493 section 5.3: the dual-stack
/// bind-order trap); a connecting socket bound to nothing has no use for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Setup {
    pub bind: Option<SocketAddr>,
    pub reuseaddr: Option<bool>,
    pub v6only: Option<bool>,
    pub recbuf: Option<usize>,
    pub sndbuf: Option<usize>,
    pub bind_to_device: Option<String>,
}

/// The default for `IPV6_V6ONLY` when the caller says nothing: IPv6 only,
/// the BSD default, so that binding `::` never takes the IPv4 port too.
pub const DEFAULT_V6ONLY: bool = true;

/// A socket whose non-blocking connect has begun: `Connected` when the
/// kernel finished at once (loopback may), `InProgress` when the caller must
/// wait for it to become writable.
pub enum Connecting {
    Connected(Socket),
    InProgress(Socket),
}

pub fn tcp_connect(dest: SocketAddr, setup: &Setup) -> io::Result<Connecting> {
    let socket = new_socket(dest, Type::STREAM, Protocol::TCP, setup)?;
    match socket.connect(&SockAddr::from(dest)) {
        Ok(()) => Ok(Connecting::Connected(socket)),
        Err(err) if in_progress(&err) => Ok(Connecting::InProgress(socket)),
        Err(err) => Err(err),
    }
}

/// After the socket became writable: the outcome of the connect.
pub fn connect_outcome(socket: &Socket) -> io::Result<()> {
    match socket.take_error()? {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

pub fn tcp_listen(addr: SocketAddr, setup: &Setup, backlog: i32) -> io::Result<Socket> {
    let setup = Setup {
        bind: Some(addr),
        ..setup.clone()
    };
    let socket = new_socket(addr, Type::STREAM, Protocol::TCP, &setup)?;
    socket.listen(backlog)?;
    Ok(socket)
}

fn new_socket(
    peer_or_local: SocketAddr,
    ty: Type,
    protocol: Protocol,
    setup: &Setup,
) -> io::Result<Socket> {
    let domain = Domain::for_address(peer_or_local);
    let socket = new_nonblocking(domain, ty, protocol)?;
    let binds_wildcard = setup.bind.is_some_and(|local| local.ip().is_unspecified());
    if domain == Domain::IPV6 && (binds_wildcard || setup.v6only.is_some()) {
        socket.set_only_v6(setup.v6only.unwrap_or(DEFAULT_V6ONLY))?;
    }
    if let Some(reuse) = setup.reuseaddr {
        socket.set_reuse_address(reuse)?;
    }
    if let Some(size) = setup.recbuf {
        socket.set_recv_buffer_size(size)?;
    }
    if let Some(size) = setup.sndbuf {
        socket.set_send_buffer_size(size)?;
    }
    if let Some(device) = &setup.bind_to_device {
        bind_to_device(&socket, device)?;
    }
    if let Some(local) = setup.bind {
        socket.bind(&SockAddr::from(local))?;
    }
    Ok(socket)
}

/// socket2 sets close-on-exec; where the OS allows, one syscall also makes
/// it non-blocking (this is on the connect path, which is measured).
#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
fn new_nonblocking(domain: Domain, ty: Type, protocol: Protocol) -> io::Result<Socket> {
    Socket::new(domain, ty.nonblocking(), Some(protocol))
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
fn new_nonblocking(domain: Domain, ty: Type, protocol: Protocol) -> io::Result<Socket> {
    let socket = Socket::new(domain, ty, Some(protocol))?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn bind_to_device(socket: &Socket, device: &str) -> io::Result<()> {
    socket.bind_device(Some(device.as_bytes()))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn bind_to_device(_socket: &Socket, _device: &str) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(libc::ENOPROTOOPT))
}

fn in_progress(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EINPROGRESS) | Some(libc::EWOULDBLOCK)
    )
}

/// A second descriptor for the same socket, to hand to the BEAM while the
/// first is still registered in the VM's poll set (see `select`).
pub fn duplicate(socket: &Socket) -> io::Result<OwnedFd> {
    Ok(socket.try_clone()?.into())
}

pub fn raw(socket: &Socket) -> RawFd {
    socket.as_raw_fd()
}

#[cfg(test)]
#[path = "sock_tests.rs"]
mod tests;
