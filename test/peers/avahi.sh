#!/bin/sh
# Runs Debian's avahi-daemon (not our code) as an mDNS responder in the
# current network namespace, with everything it writes kept private:
#   test/peers/avahi.sh DIR HOSTNAME INTERFACE [ipv4|ipv6] [addresses]
# DIR holds hosts (static host names, avahi's format) and, if it is there,
# services/ (static DNS-SD services, *.service files); this script writes
# the daemon's avahi-daemon.conf there (HOSTNAME.local, on INTERFACE only,
# IPv6 unless `ipv4' is given, D-Bus off, nothing published but the
# hosts file and those services: not its own host name and addresses,
# unless `addresses' is given: then HOSTNAME.local with the interface's
# addresses too, as they come and go) and
# an nsswitch.conf with mdns6_minimal. The daemon gets its own mount
# namespace, where DIR is mounted over /etc/avahi (it reads the hosts
# file and the services from there), a tmpfs over /run (its pid file and socket
# directory), so several instances never meet, and DIR/nsswitch.conf over
# /etc/nsswitch.conf, so that glibc in that namespace asks this avahi
# through nss-mdns (`nsenter -t PID -m -n getent ahosts NAME`, PID the
# daemon's: this script execs it). It neither drops root nor chroots, and
# logs to stderr.
set -eu
dir=$(realpath "$1")
case "${4:-ipv6}" in
    ipv4) ipv4=yes ipv6=no ;;
    *) ipv4=no ipv6=yes ;;
esac
case "${5:-}" in
    addresses) addresses=yes ;;
    *) addresses=no ;;
esac
cat >"$dir/avahi-daemon.conf" <<CONF
[server]
host-name=$2
domain-name=local
use-ipv4=$ipv4
use-ipv6=$ipv6
allow-interfaces=$3
enable-dbus=no
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=$addresses
publish-hinfo=no
publish-workstation=no
publish-domain=no
CONF
printf 'hosts: files mdns6_minimal\n' >"$dir/nsswitch.conf"
exec unshare -m sh -c '
    mount --make-rprivate / &&
    mount -t tmpfs tmpfs /run && mkdir /run/avahi-daemon &&
    mount --bind "$1" /etc/avahi &&
    mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf &&
    exec avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title -f "$1/avahi-daemon.conf"
' sh "$dir"
