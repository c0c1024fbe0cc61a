#!/bin/sh
# Runs Debian's avahi-daemon (not our code) as an mDNS responder in the
# current network namespace, with everything it writes kept private:
#   test/peers/avahi.sh DIR
# DIR holds avahi-daemon.conf and hosts (static host names). The daemon
# gets its own mount namespace, where DIR is mounted over /etc/avahi (it
# reads the hosts file from there) and a tmpfs over /run (its pid file
# and socket directory), so several instances never meet; DIR/nsswitch.conf,
# if there, over /etc/nsswitch.conf, so that glibc in that namespace asks
# this avahi through nss-mdns (`nsenter -t PID -m -n getent ahosts NAME`,
# PID the daemon's: this script execs it). D-Bus is off
# in the config; it neither drops root nor chroots, and logs to stderr.
set -eu
dir=$(realpath "$1")
exec unshare -m sh -c '
    mount --make-rprivate / &&
    mount -t tmpfs tmpfs /run && mkdir /run/avahi-daemon &&
    mount --bind "$1" /etc/avahi &&
    { [ ! -e "$1/nsswitch.conf" ] || mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf; } &&
    exec avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title -f "$1/avahi-daemon.conf"
' sh "$dir"
