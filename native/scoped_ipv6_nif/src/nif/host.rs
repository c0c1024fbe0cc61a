use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustler::{Binary, Encoder, Env, LocalPid, NifResult, OwnedEnv, Resource, ResourceArc, Term};

use crate::atoms;
use crate::gai::{self, GaiError};
use crate::resolver::{Pool, Refused, Ticket};
use crate::term;

/// At most this many lookups run at once (OTP's own native resolver runs
/// 4 port programs); at most `QUEUED` more wait. Beyond that a lookup is
/// `{error, system_limit}` at once, as gen_tcp answers when ports run out.
const THREADS: usize = 8;
const QUEUED: usize = 128;
/// The longest host name DNS carries; Erlang checks it first.
const MAX_HOST: usize = 253;

static POOL: Pool = Pool::new(THREADS, QUEUED, Duration::from_secs(5));

/// A caller's hold on one lookup. Dropped (the caller cancelled, or died)
/// it cancels the lookup: skipped if still queued, its answer never sent.
struct Lookup(Arc<Ticket>);

#[rustler::resource_impl]
impl Resource for Lookup {}

impl Drop for Lookup {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Looks a host name up with getaddrinfo(3), which keeps the scope of a
/// link-local answer (OTP's resolver drops it), on the resolver pool, never
/// on a scheduler. `{ok, Handle}`; the caller then gets `{Ref, {ok,
/// [{Ip, Scope}]} | {error, Reason}}` unless it cancels with
/// `resolve_cancel(Handle)` first. `{error, system_limit}` when the pool is
/// full, `{error, Posix}` when no thread can be made.
#[rustler::nif]
fn resolve_host<'a>(env: Env<'a>, host: Binary<'a>, ref_: Term<'a>) -> NifResult<Term<'a>> {
    if host.len() > MAX_HOST {
        return Err(rustler::Error::BadArg);
    }
    let host = std::str::from_utf8(host.as_slice())
        .map_err(|_| rustler::Error::BadArg)?
        .to_owned();
    let caller: LocalPid = env.pid();
    let mut reply_env = OwnedEnv::new();
    let saved_ref = reply_env.save(ref_);
    let ticket = Arc::new(Ticket::default());
    let submitted = POOL.submit(ticket.clone(), move |ticket| {
        let answer = gai::lookup(&host);
        ticket.deliver(|| {
            let _ = reply_env.send_and_clear(&caller, |env| {
                let ref_ = saved_ref.load(env);
                (ref_, encode_answer(env, answer)).encode(env)
            });
        });
    });
    Ok(match submitted {
        Ok(()) => (atoms::ok(), ResourceArc::new(Lookup(ticket))).encode(env),
        Err(Refused::Full) => (atoms::error(), atoms::system_limit()).encode(env),
        Err(Refused::Spawn(err)) => crate::error::Error::from(err).encode(env),
    })
}

/// After this returns, the lookup's answer is never sent: a caller that
/// gave up flushes what may have come before and is done.
#[rustler::nif]
fn resolve_cancel(lookup: ResourceArc<Lookup>) -> rustler::Atom {
    lookup.0.cancel();
    atoms::ok()
}

fn encode_answer<'a>(env: Env<'a>, answer: Result<Vec<SocketAddr>, GaiError>) -> Term<'a> {
    match answer {
        Ok(addrs) => {
            let list: Vec<Term<'a>> = addrs
                .into_iter()
                .map(|addr| match addr {
                    SocketAddr::V6(v6) => {
                        (term::encode_ip6(env, *v6.ip()), v6.scope_id()).encode(env)
                    }
                    SocketAddr::V4(v4) => (term::encode_ip4(env, *v4.ip()), 0u32).encode(env),
                })
                .collect();
            (atoms::ok(), list).encode(env)
        }
        Err(GaiError::NoName) => (atoms::error(), atoms::nxdomain()).encode(env),
        Err(GaiError::Again) => (atoms::error(), atoms::try_again()).encode(env),
        Err(GaiError::Fail) => (atoms::error(), atoms::no_recovery()).encode(env),
        Err(GaiError::Os(err)) => crate::error::Error::from(err).encode(env),
        Err(GaiError::Invalid) => (atoms::error(), atoms::einval()).encode(env),
    }
}
