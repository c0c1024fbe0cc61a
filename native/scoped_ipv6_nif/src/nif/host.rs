use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustler::{Binary, Encoder, Env, LocalPid, NifResult, OwnedEnv, Resource, ResourceArc, Term};

use crate::atoms;
use crate::error::Error;
use crate::gai;
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
fn resolve_host<'a>(
    env: Env<'a>,
    host: Binary<'a>,
    ref_: Term<'a>,
) -> NifResult<Result<ResourceArc<Lookup>, Error>> {
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
                (
                    ref_,
                    answer
                        .map_err(Error::from)
                        .map(|addrs| encode_addrs(env, addrs)),
                )
                    .encode(env)
            });
        });
    });
    Ok(match submitted {
        Ok(()) => Ok(ResourceArc::new(Lookup(ticket))),
        Err(Refused::Full) => Err(Error::SystemLimit),
        Err(Refused::Spawn(err)) => Err(Error::from(err)),
    })
}

/// After this returns, the lookup's answer is never sent: a caller that
/// gave up flushes what may have come before and is done.
#[rustler::nif]
fn resolve_cancel(lookup: ResourceArc<Lookup>) -> rustler::Atom {
    lookup.0.cancel();
    atoms::ok()
}

fn encode_addrs(env: Env<'_>, addrs: Vec<SocketAddr>) -> Vec<Term<'_>> {
    addrs
        .into_iter()
        .map(|addr| match addr {
            SocketAddr::V6(v6) => (term::encode_ip6(env, *v6.ip()), v6.scope_id()).encode(env),
            SocketAddr::V4(v4) => (term::encode_ip4(env, *v4.ip()), 0u32).encode(env),
        })
        .collect()
}
