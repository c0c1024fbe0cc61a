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
"""
import sys
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf, ZeroconfServiceTypes


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


ROLES = {"browse": browse, "types": types, "watch": watch}

if __name__ == "__main__":
    ROLES[sys.argv[1]](*sys.argv[2:])
