use super::*;
use std::net::{Ipv6Addr, SocketAddrV6, TcpListener};

fn loopback6(port: u16) -> SocketAddr {
    SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, port, 0, 0))
}

#[test]
fn connects_to_a_listener_on_loopback() {
    let listener = TcpListener::bind("[::1]:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let socket = match tcp_connect(loopback6(port), &Setup::default()).unwrap() {
        Connecting::Connected(socket) | Connecting::InProgress(socket) => socket,
    };
    let (_accepted, peer) = listener.accept().unwrap();
    assert_eq!(peer, socket.local_addr().unwrap().as_socket().unwrap());
    assert!(connect_outcome(&socket).is_ok());
}

#[test]
fn a_refused_connect_reports_econnrefused() {
    let port = TcpListener::bind("[::1]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The listener is dropped: nothing listens on `port` any more.
    match tcp_connect(loopback6(port), &Setup::default()) {
        Err(err) => assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED)),
        Ok(Connecting::Connected(_)) => panic!("connected to nothing"),
        Ok(Connecting::InProgress(socket)) => {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let err = connect_outcome(&socket).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
        }
    }
}

#[test]
fn link_local_without_scope_is_einval_from_the_kernel() {
    let dest = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 9, 0, 0));
    let err = tcp_connect(dest, &Setup::default()).err().expect("EINVAL");
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
}

#[test]
fn sockets_are_non_blocking_and_close_on_exec() {
    let listener = TcpListener::bind("[::1]:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let socket = match tcp_connect(loopback6(port), &Setup::default()).unwrap() {
        Connecting::Connected(socket) | Connecting::InProgress(socket) => socket,
    };
    assert!(socket.nonblocking().unwrap());
    if cfg!(target_os = "linux") {
        // The kernel's own view of the descriptor's flags, in octal.
        let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", raw(&socket))).unwrap();
        let flags = info.lines().find_map(|l| l.strip_prefix("flags:")).unwrap();
        let flags = u32::from_str_radix(flags.trim(), 8).unwrap();
        assert_ne!(flags & libc::O_CLOEXEC as u32, 0, "close-on-exec");
    }
}

#[test]
fn listen_sets_v6only_explicitly() {
    let wildcard = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 0, 0, 0));
    let socket = tcp_listen(wildcard, &Setup::default(), 5).unwrap();
    assert_eq!(socket.only_v6().unwrap(), DEFAULT_V6ONLY);
    let setup = Setup {
        v6only: Some(false),
        reuseaddr: Some(true),
        ..Setup::default()
    };
    // Linux forces V6ONLY on for a specific address: only `::` shows the choice.
    let socket = tcp_listen(wildcard, &setup, 5).unwrap();
    assert!(!socket.only_v6().unwrap());
    assert!(socket.reuse_address().unwrap());
}
