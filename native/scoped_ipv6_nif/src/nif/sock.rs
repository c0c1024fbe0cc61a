use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use rustler::{Atom, Encoder, Env, NifResult, Resource, ResourceArc, Term};

use crate::atoms;
use crate::error::Error;
use crate::select::Pending;
use crate::sock::{self, Connecting};
use crate::term::ok_or_error;
use crate::{sys, term};

/// A connected or listening descriptor on its way to the inet driver.
/// The keeper process (scoped_ipv6_fd_keeper) holds it until the port that
/// adopted it is gone, then closes it: the driver never closes a descriptor
/// it was given.
pub struct Handover {
    fd: Mutex<Option<OwnedFd>>,
    adopted: AtomicBool,
}

#[rustler::resource_impl]
impl Resource for Handover {}

impl Handover {
    fn new(fd: OwnedFd) -> ResourceArc<Handover> {
        ResourceArc::new(Handover {
            fd: Mutex::new(Some(fd)),
            adopted: AtomicBool::new(false),
        })
    }

    fn take(&self) -> Option<OwnedFd> {
        self.fd.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl Drop for Handover {
    fn drop(&mut self) {
        // Garbage, not closed by the keeper. Never adopted: no port uses it,
        // close it. Adopted: a port may still use it, and closing it under
        // the port would hand its number to the next open(); leak instead.
        if let Some(fd) = self.take() {
            if self.adopted.load(Ordering::Acquire) {
                let _ = fd.into_raw_fd();
            }
        }
    }
}

/// `{ok, Handover}` or `{error, Posix}`.
fn handed_over<'a>(env: Env<'a>, fd: std::io::Result<OwnedFd>) -> Term<'a> {
    ok_or_error(env, fd.map(Handover::new).map_err(Error::from))
}

/// Starts a non-blocking connect: `{ok, Handover}` when it completed at
/// once, `{wait, Pending}` when the caller must wait for
/// `{select, Pending, Ref, ready_output}`, or `{error, Posix}`.
#[rustler::nif]
fn tcp_connect<'a>(
    env: Env<'a>,
    ip: Term<'a>,
    port: u16,
    scope: u32,
    setup: Term<'a>,
    ref_: Term<'a>,
) -> NifResult<Term<'a>> {
    let dest = term::decode_socket_addr(ip, port, scope)?;
    let setup = term::decode_setup(setup)?;
    Ok(match sock::tcp_connect(dest, &setup) {
        Ok(Connecting::Connected(socket)) => handed_over(env, Ok(socket.into())),
        Ok(Connecting::InProgress(socket)) => match Pending::start(env, socket, ref_) {
            Ok(pending) => (atoms::wait(), pending).encode(env),
            Err(err) => Error::from(err).encode(env),
        },
        Err(err) => Error::from(err).encode(env),
    })
}

/// After `ready_output`: `{ok, Handover}` or `{error, Posix}`.
#[rustler::nif]
fn connect_finish<'a>(env: Env<'a>, pending: Term<'a>) -> NifResult<Term<'a>> {
    let pending = Pending::get(pending).ok_or(rustler::Error::BadArg)?;
    Ok(handed_over(env, pending.finish(env)))
}

/// Gives up on a connect (timeout): the socket is closed.
#[rustler::nif]
fn connect_cancel<'a>(env: Env<'a>, pending: Term<'a>) -> NifResult<Atom> {
    let pending = Pending::get(pending).ok_or(rustler::Error::BadArg)?;
    pending.close(env);
    Ok(atoms::ok())
}

/// A bound, listening TCP socket: `{ok, Handover}` or `{error, Posix}`.
#[rustler::nif]
fn tcp_listen<'a>(
    env: Env<'a>,
    ip: Term<'a>,
    port: u16,
    scope: u32,
    setup: Term<'a>,
    backlog: i32,
) -> NifResult<Term<'a>> {
    let addr = term::decode_socket_addr(ip, port, scope)?;
    let setup = term::decode_setup(setup)?;
    Ok(handed_over(
        env,
        sock::tcp_listen(addr, &setup, backlog).map(OwnedFd::from),
    ))
}

/// The descriptor number, for gen_tcp's `{fd, Fd}`; from now on a port may
/// use it. `{error, closed}` once it was closed.
#[rustler::nif]
fn handover_adopt(env: Env<'_>, handover: ResourceArc<Handover>) -> Term<'_> {
    let guard = handover.fd.lock().unwrap_or_else(|p| p.into_inner());
    match guard.as_ref() {
        Some(fd) => {
            handover.adopted.store(true, Ordering::Release);
            (atoms::ok(), fd.as_raw_fd()).encode(env)
        }
        None => (atoms::error(), atoms::closed()).encode(env),
    }
}

/// Closes the descriptor: the port that used it is gone. Idempotent.
#[rustler::nif]
fn handover_close(handover: ResourceArc<Handover>) -> Atom {
    drop(handover.take());
    atoms::ok()
}

/// `{ok, {Address, Port}}` of a port's descriptor (from `inet:getfd/1`),
/// the peer's when `Which` is `peer`, with the scope the driver drops.
#[rustler::nif]
fn socket_addr<'a>(env: Env<'a>, fd: i32, which: Atom) -> Term<'a> {
    let addr = sys::socket_addr(fd, which == atoms::peer()).map_err(Error::from);
    ok_or_error(env, addr.map(|addr| term::encode_socket_addr(env, addr)))
}
