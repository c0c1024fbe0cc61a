use super::*;

#[test]
fn loopback_resolves_both_ways() {
    let lo = if cfg!(target_os = "linux") {
        "lo"
    } else {
        "lo0"
    };
    let index = resolve(Zone::Name(lo)).expect("loopback exists");
    assert_ne!(index, 0);
    assert_eq!(name_of(index).unwrap(), lo);
    assert_eq!(resolve(Zone::Index(index)).unwrap(), index);
}

#[test]
fn unknown_interfaces_are_errors_naming_what_was_asked() {
    match resolve(Zone::Name("nosuchif0")) {
        Err(Error::NoSuchInterface(OwnedZone::Name(name))) => assert_eq!(name, "nosuchif0"),
        other => panic!("expected no_such_interface, got {other:?}"),
    }
    match resolve(Zone::Index(u32::MAX)) {
        Err(Error::NoSuchInterface(OwnedZone::Index(u32::MAX))) => {}
        other => panic!("expected no_such_interface, got {other:?}"),
    }
    assert!(matches!(resolve(Zone::Name("a/b")), Err(Error::Invalid(_))));
    assert_eq!(resolve(Zone::Index(0)).unwrap(), 0);
}

#[test]
fn interfaces_list_loopback_with_its_addresses() {
    let all = interfaces().unwrap();
    let lo = all
        .iter()
        .find(|i| i.flags.contains(&Flag::Loopback))
        .expect("a loopback interface");
    assert!(lo.flags.contains(&Flag::Up));
    let v4 = lo.addrs.iter().find(|a| a.addr.is_ipv4());
    if let Some(v4) = v4 {
        assert_eq!(v4.scope, None);
        assert_eq!(v4.prefix_len, Some(8));
    }
    let mut indexes: Vec<u32> = all.iter().map(|i| i.index).collect();
    indexes.dedup();
    assert_eq!(indexes.len(), all.len(), "one entry per interface");
}

#[test]
fn scoped_addresses_carry_their_interface_index() {
    for interface in interfaces().unwrap() {
        for a in &interface.addrs {
            match a.addr {
                IpAddr::V6(v6) if addr::needs_scope(v6) => {
                    assert_eq!(a.scope, Some(interface.index), "{v6} on {}", interface.name)
                }
                _ => assert_eq!(a.scope, None),
            }
        }
    }
}

#[test]
fn prefix_lengths_count_leading_ones() {
    assert_eq!(prefix_len("255.255.255.0".parse().unwrap()), 24);
    assert_eq!(prefix_len("ffff:ffff:ffff:ffff::".parse().unwrap()), 64);
    assert_eq!(prefix_len("0.0.0.0".parse().unwrap()), 0);
}
