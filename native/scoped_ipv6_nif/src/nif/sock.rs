use rustler::{Atom, Env, Term};

use crate::error::Error;
use crate::term::ok_or_error;
use crate::{atoms, sys, term};

/// `{ok, {Address, Port}}` of a port's descriptor (from `inet:getfd/1`),
/// the peer's when `Which` is `peer`, with the scope the driver drops.
#[rustler::nif]
fn socket_addr<'a>(env: Env<'a>, fd: i32, which: Atom) -> Term<'a> {
    let addr = sys::socket_addr(fd, which == atoms::peer()).map_err(Error::from);
    ok_or_error(env, addr.map(|addr| term::encode_socket_addr(env, addr)))
}
