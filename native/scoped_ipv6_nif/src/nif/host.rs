use std::net::{SocketAddr, ToSocketAddrs};

use rustler::{Encoder, Env, LocalPid, OwnedEnv, Term};

use crate::atoms;
use crate::term;

/// Looks a host name up with getaddrinfo(3), which keeps the scope of a
/// link-local answer (OTP's resolver drops it). The lookup may take as long
/// as DNS does, so it runs on an OS thread of its own, never on a scheduler;
/// the caller gets `{Ref, {ok, [{Ip, Scope}]} | {error, nxdomain}}`.
#[rustler::nif]
fn resolve_host<'a>(env: Env<'a>, host: String, ref_: Term<'a>) -> Term<'a> {
    let caller: LocalPid = env.pid();
    let mut reply_env = OwnedEnv::new();
    let saved_ref = reply_env.save(ref_);
    let spawned = std::thread::Builder::new()
        .name("scoped_ipv6_getaddrinfo".into())
        .spawn(move || {
            let answer = (host.as_str(), 0).to_socket_addrs().map(Vec::from_iter);
            let _ = reply_env.send_and_clear(&caller, |env| {
                let ref_ = saved_ref.load(env);
                (ref_, encode_answer(env, answer)).encode(env)
            });
        });
    match spawned {
        Ok(_) => atoms::ok().encode(env),
        Err(err) => crate::error::Error::from(err).encode(env),
    }
}

fn encode_answer<'a>(env: Env<'a>, answer: std::io::Result<Vec<SocketAddr>>) -> Term<'a> {
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
        Err(_) => (atoms::error(), atoms::nxdomain()).encode(env),
    }
}
