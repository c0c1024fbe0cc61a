#!/usr/bin/python3
"""A DNS-SD browser (RFC 6763) that is not our code: python-zeroconf, as
Debian packages it (python3-zeroconf), run by Debian's own python3 inside
a testbed peer namespace, on one interface, over IPv6 only.

  browse IFINDEX TYPE SECONDS  browse TYPE (`_http._tcp.local.`) for
                               SECONDS, resolve what was found; print one
                               line a service, sorted by name: its name,
                               host, port, addresses (sorted, comma
                               separated) and TXT (key=value, sorted,
                               comma separated), tab separated
  types IFINDEX SECONDS        service enumeration
                               (`_services._dns-sd._udp.local.`): print
                               each type found, sorted
  watch IFINDEX TYPE [updates] print "ready", then "added NAME" and
                               "removed NAME" as services come and go
                               (a goodbye removes one); with `updates`,
                               "updated NAME" too when one gets a record
                               it did not have (a new TXT, say: but also
                               an address it heard on another socket,
                               which python-zeroconf keeps apart)
  register IFINDEX TYPE NAME HOST PORT [TXT...]
                               register the instance NAME of TYPE
                               (`_http._tcp.local.`) at HOST (`x.local.`,
                               fe80::2) with the TXT strings given, print
                               "ready"; then for each line read:
                               "txt K=V..." updates the TXT record (print
                               "updated"), "goodbye" unregisters (print
                               "unregistered"); EOF unregisters too
"""
import sys
import time

from zeroconf import (IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf,
                      ZeroconfServiceTypes)


def zeroconf(ifindex):
    return Zeroconf(interfaces=[int(ifindex)], ip_version=IPVersion.V6Only)


def browse(ifindex, service_type, seconds):
    zc = zeroconf(ifindex)
    found = set()

    def changed(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Added:
            found.add(name)

    ServiceBrowser(zc, service_type, handlers=[changed])
    time.sleep(float(seconds))
    for name in sorted(found):
        info = zc.get_service_info(service_type, name, timeout=3000)
        if info is None:
            print(name, "unresolved", sep="\t")
            continue
        # An empty TXT record (one empty string, RFC 6763 section 6.1) has
        # no keys; newer python-zeroconf reads it as the key b"".
        txt = sorted(k.decode() + "=" + (v or b"").decode()
                     for k, v in info.properties.items() if k)
        print(name, info.server, info.port, ",".join(sorted(info.parsed_addresses())),
              ",".join(txt), sep="\t")
    zc.close()


def types(ifindex, seconds):
    zc = zeroconf(ifindex)
    for found in sorted(ZeroconfServiceTypes.find(zc=zc, timeout=float(seconds))):
        print(found)
    zc.close()


def watch(ifindex, service_type, updates=None):
    zc = zeroconf(ifindex)

    def changed(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Added:
            print("added", name, flush=True)
        elif state_change is ServiceStateChange.Updated and updates:
            print("updated", name, flush=True)
        elif state_change is ServiceStateChange.Removed:
            print("removed", name, flush=True)

    ServiceBrowser(zc, service_type, handlers=[changed])
    print("ready", flush=True)
    while True:
        time.sleep(1)


def properties(strings):
    # key=value strings as python-zeroconf takes them; a key without "="
    # is a boolean attribute (RFC 6763 section 6.4).
    props = {}
    for text in strings:
        key, eq, value = text.partition("=")
        if key:
            props[key.encode()] = value.encode() if eq else None
    return props


def register(ifindex, service_type, name, host, port, *txt):
    zc = zeroconf(ifindex)
    info = ServiceInfo(service_type, name + "." + service_type, port=int(port),
                       properties=properties(txt), server=host, parsed_addresses=["fe80::2"])
    zc.register_service(info)
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ["txt"]:
            info = ServiceInfo(service_type, name + "." + service_type, port=int(port),
                               properties=properties(words[1:]), server=host,
                               parsed_addresses=["fe80::2"])
            zc.update_service(info)
            print("updated", flush=True)
        elif words[:1] == ["goodbye"]:
            break
    zc.unregister_service(info)
    print("unregistered", flush=True)
    zc.close()


ROLES = {"browse": browse, "types": types, "watch": watch, "register": register}

if __name__ == "__main__":
    ROLES[sys.argv[1]](*sys.argv[2:])
