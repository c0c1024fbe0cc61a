use std::net::IpAddr;

use rustler::{Atom, Binary, Encoder, Env, NifResult, Term};

use crate::addr::{self, Parsed, Zone};
use crate::atoms;
use crate::error::Error;
use crate::term;

/// Text to `Ip4 | Ip6 | {Ip6, Index | Name}`, or `{error, einval}`. The
/// name comes back in the caller's string type, `Form`: for `binary` a
/// sub-binary of the input (no copy), for `list` a charlist. (Erlang turns
/// a charlist into a binary first: `unicode:characters_to_binary/1` is
/// faster than decoding a list here, cell by cell.)
#[rustler::nif]
fn parse<'a>(env: Env<'a>, text: Binary<'a>, form: Atom) -> NifResult<Term<'a>> {
    Ok(match addr::parse(text.as_slice()) {
        Ok(Parsed::Scoped(v6, Zone::Name(name))) if form != atoms::list() => {
            let offset = name.as_ptr() as usize - text.as_slice().as_ptr() as usize;
            let name = text.make_subbinary(offset, name.len())?;
            (term::encode_ip6(env, v6), name).encode(env)
        }
        parsed => encode_parsed(env, parsed),
    })
}

fn encode_parsed<'a>(env: Env<'a>, parsed: Result<Parsed<'_>, addr::Invalid>) -> Term<'a> {
    match parsed {
        Err(invalid) => (atoms::error(), Error::from(invalid)).encode(env),
        Ok(Parsed::V4(v4)) => term::encode_ip4(env, v4),
        Ok(Parsed::V6(v6)) => term::encode_ip6(env, v6),
        Ok(Parsed::Scoped(v6, Zone::Index(index))) => {
            (term::encode_ip6(env, v6), index).encode(env)
        }
        Ok(Parsed::Scoped(v6, Zone::Name(name))) => {
            (term::encode_ip6(env, v6), term::encode_charlist(env, name)).encode(env)
        }
    }
}

/// RFC 5952 text of an IPv6 address, in `Form` (`list` or `binary`).
#[rustler::nif]
fn ntoa<'a>(env: Env<'a>, ip: Term<'a>, form: Atom) -> NifResult<Term<'a>> {
    Ok(encode_text(
        env,
        addr::format(term::decode_ip6(ip)?).as_str(),
        form,
    ))
}

/// RFC 5952 text plus `%Zone` in `Form`, or `{error, einval}`. The zone may
/// be an index, a binary or a charlist.
#[rustler::nif]
fn ntoa_scoped<'a>(env: Env<'a>, ip: Term<'a>, zone: Term<'a>, form: Atom) -> NifResult<Term<'a>> {
    let ip = term::decode_ip6(ip)?;
    let text = term::decode_zone(zone)?.and_then(|zone| addr::format_scoped(ip, zone.as_zone()));
    Ok(match text {
        Ok(text) => encode_text(env, text.as_str(), form),
        Err(invalid) => (atoms::error(), Error::from(invalid)).encode(env),
    })
}

/// Whether an address means nothing without a zone ([`addr::needs_scope`]);
/// an IPv4 address never does. The one home of this rule: Erlang asks here.
#[rustler::nif]
fn needs_scope(ip: Term<'_>) -> NifResult<bool> {
    Ok(match term::decode_ip(ip)? {
        IpAddr::V4(_) => false,
        IpAddr::V6(v6) => addr::needs_scope(v6),
    })
}

fn encode_text<'a>(env: Env<'a>, text: &str, form: Atom) -> Term<'a> {
    if form == atoms::list() {
        term::encode_charlist(env, text)
    } else {
        text.encode(env)
    }
}
