//! Every atom the NIF can return. None is ever made from input.

rustler::atoms! {
    ok,
    error,
    einval,
    no_such_interface,
    // interface flags, named as inet:getifaddrs/0 names them
    up,
    broadcast,
    loopback,
    pointtopoint,
    running,
    multicast,
    // interface map keys
    name,
    index,
    flags,
    addrs,
    addr,
    prefixlen,
    // sockets
    peer,
    nxdomain,
    list,
    // host-name lookups
    system_limit,
    try_again,
    no_recovery,
}
