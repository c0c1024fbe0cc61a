#!/usr/bin/env python3
"""Link-local test peers, run inside the testbed's peer namespaces.

Independent of scoped_ipv6 on purpose: Python's own sockets. Each role
prints "ready" once it listens, then one line per event, unbuffered.

  tcp-name PORT NAME          accept; send NAME; close
  tcp-echo PORT               accept; echo everything back (a thread each)
  tcp-echo-many PORT          the same in one thread, for thousands at once
  udp-echo PORT NAME          reply NAME:DATA to every datagram
  udp-ask ADDR PORT MESSAGE   send MESSAGE, print the reply (ADDR may hold %zone)
  udp-ask-src ADDR PORT MESSAGE  the same, printing "reply DATA from SOURCE"
  udp-send SRC ADDR PORT HOPS[/TCLASS] MESSAGE...  send each MESSAGE with
                              hop limit HOPS (and traffic class TCLASS) from
                              SRC (an address of eth0, or - for the kernel's
                              choice); unicast or multicast; ADDR holds its %zone
  udp-source PORT             print "got DATA from SOURCE" for each datagram
  udp4-send SRC ADDR PORT TTL/TOS MESSAGE...  over IPv4: send each MESSAGE from
                              SRC to ADDR (a broadcast address too) with that
                              TTL and TOS
  udp4-source PORT            over IPv4: print "got DATA from SOURCE ttl T tos S"
  mcast4-listen GROUP PORT IFADDR  over IPv4: join GROUP on the interface
                              holding IFADDR, print "got DATA from SOURCE"
  mcast-listen GROUP PORT IF  join GROUP on interface IF, print what arrives
  mcast-send GROUP PORT IF MESSAGE  send MESSAGE to GROUP out of interface IF
  tls-echo PORT CERT KEY      TLS server: echo one message back
  http-name PORT NAME         HTTP server (Python's http.server): NAME to every GET
  dns-nxdomain ADDR PORT      DNS server on UDP: "no such name" to every query
  mdns4-answer IF SRC ADDR    an mDNS responder on IPv4 (224.0.0.251 on IF): answers
                              every question with an A record ADDR, by unicast
                              from SRC port 5353; prints "answered" for each
  mdns4-ask SRC NAME          over IPv4: a one-shot mDNS query for NAME (A) from SRC
                              to 224.0.0.251: print "answers N with ADDRESS..." for
                              the unicast reply, or "silent" after 1 s
  mdns-ask SRC ADDR NAME [--type=ptr] [KNOWN/TTL]...  a one-shot mDNS query for
                              NAME (AAAA, or PTR),
                              from SRC to ADDR port 5353 (ADDR may hold %zone),
                              with each KNOWN address as a known answer of that
                              TTL: print "answers N" for the reply, or "silent"
                              after 1 s
  mdns-announce IF NAME ADDR  one unsolicited mDNS answer on IF: NAME has AAAA
                              ADDR (cache flush); print "announced"
  mdns-claim IF NAME ADDR     announce as mdns-announce, then answer every query
                              for NAME with ADDR, printing "defended"
  mdns-watch IF NAME ADDR     print "answer with ADDR" or "answer without ADDR" for
                              each mDNS response on IF whose first record is NAME's
  mdns-time IF NAME QTYPE     a multicast question for NAME, type QTYPE (a number);
                              print "answer MS", the ms until the first answer
                              whose first record is NAME's, or "silent"
  mdns-flood-ask IF NAME QTYPE N  N multicast questions for NAME, 20 ms apart;
                              print "answers K", the answers for NAME heard
                              within 1.5 s
  mdns-repeat-ask IF NAME EVERY COUNT [KNOWN...]  a multicast PTR question
                              for NAME (QM, from port 5353) every EVERY
                              seconds, COUNT times (0: as long as it runs),
                              each KNOWN instance name listed as a known
                              answer (TTL 120); prints "asked" for each sent,
                              and "heard" and the types asked for each query
                              from fe80::1 (the host under test)
  mdns-repeat-ask-questions IF EVERY COUNT NAME/QTYPE...  the questions
                              (QTYPE a number) in one multicast query (QM,
                              from port 5353, no known answer) every EVERY
                              seconds, COUNT times (0: as long as it runs);
                              prints as mdns-repeat-ask does
  mdns-multi-ask IF GAP QUERY...  multicast queries (QM, from port 5353),
                              GAP ms apart, each QUERY a "+"-separated list
                              of NAME/QTYPE questions (QTYPE a number); prints
                              "message MS RECORD..." for each multicast answer
                              from fe80::1 (the host under test) with a record
                              for a name asked, heard within 700 ms of the
                              last query: the ms after the first, each record
                              "an:NAME/TYPE" or "ar:NAME/TYPE" (its section)
  mdns-tc-ask IF NAME FIRST LATER  a multicast PTR question for NAME (QM,
                              from port 5353) with TC set and known answers
                              FIRST, then 150 ms later a known-answer-only
                              packet (TC clear) with LATER (each a comma-separated
                              list of instance labels, "-" for none; the
                              instances LABEL.NAME, TTL 120); prints
                              "answer MS LABEL..." for each multicast answer
                              from fe80::1 (the host under test) with PTRs for
                              NAME heard within 1.5 s: the ms after the first
                              packet and the instances' labels, sorted; or
                              "silent"
  mdns-probe-race IF NAME ADDR  on the first probe for NAME, probe for it too,
                              claiming AAAA ADDR; print "probe MS" for each
                              probe for NAME (ms after the first) and
                              "announcement" for each answer for it
  mdns-hostile IF MODE ADDR   a hostile mDNS responder on IF: to every query,
                              "garbage" sends 120 malformed, truncated, looping,
                              mismatched and random-named replies, then one good
                              answer ADDR; "flood" sends 10 replies of 300 good
                              answers, each another address (ADDR's prefix, counted up);
                              "second" answers ADDR to every second query only
  mdns-ttl IF NAME            prints "ttl N" for each record for NAME in the
                              answer section of a multicast response from
                              fe80::1 (the host under test): its TTL, 0 for
                              a goodbye
  mdns-hostile-ask IF NAME GOOD SEED  a hostile querier on IF: 120
                              malformed, truncated, looping, oversized,
                              random-named and probing queries about NAME to
                              ff02::fb from port 5353 (random from SEED), 1.2 s
                              of quiet
                              (every answer they drew out has gone: RFC 6762
                              delays none more than 1 s), then one good QM
                              question GOOD ("QNAME/QTYPE", QTYPE a number,
                              one no hostile query asked: no rate limit
                              holds it back); prints "answered" when a
                              multicast answer from fe80::1 (the host under
                              test) for QNAME comes within 1.5 s, else
                              "silent"
  dnssd-bare IF [QTYPE...]    a DNS-SD responder on IF that adds nothing to its
                              answers (RFC 6763 section 12 says it should): to
                              each question only its own record, of the service
                              "Bare One" (_bare._tcp, port 7140, TXT k=v, host
                              bare-host.local, AAAA fe80::2), only of the
                              QTYPEs (numbers) when given; prints "asked" and
                              the types asked, for each query
  dnssd-flood IF              to a PTR question, 10 replies of 40 instances each
                              ("Flood N", _flood._tcp, with SRV and TXT, host
                              flood-host.local at fe80::2), every one another
                              instance; prints "sent 10"
  dnssd-short IF TTL          a DNS-SD responder on IF that answers only the
                              first PTR question for _short._tcp, by multicast
                              from port 5353, with the service "Short One"
                              (port 7142, TXT s=1, host short-host.local at
                              fe80::2), every record with TTL seconds, then
                              falls silent; prints, for each query, "asked"
                              and the types asked, then "known" and the PTR
                              targets of its known-answer section
  dnssd4 IF ADDR              over IPv4 only (224.0.0.251 on IF): to each PTR
                              question for _four._tcp, a multicast answer from
                              port 5353 with the service "Four" (port 7143, TXT
                              f=4, host four-host.local at A ADDR), or, to a
                              one-shot query (from a port other than 5353), a
                              unicast answer to its sender with its ID (RFC 6762
                              section 6.7); prints "answered" for each
  icmp6-error TYPE/CODE...    answer the n-th ICMPv6 echo request with the n-th
                              ICMPv6 error, quoting the request as RFC 4443 asks
                              (the kernel's own echo replies off in the namespace);
                              print "sent TYPE/CODE" for each
"""
import http.server
import random
import selectors
import socket
import ssl
import struct
import sys
import threading
import time


def say(*words):
    print(*words, flush=True)


def listener(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(128)
    say("ready")
    return s


def tcp_name(port, name):
    s = listener(int(port))
    while True:
        conn, _ = s.accept()
        conn.sendall(name.encode())
        conn.close()


def tcp_echo(port):
    s = listener(int(port))

    def serve(conn):
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def tcp_echo_many(port):
    s = listener(int(port))
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is s:
                try:
                    conn, _ = s.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ)
                continue
            conn = key.fileobj
            try:
                data = conn.recv(65536)
            except BlockingIOError:
                continue
            except ConnectionError:
                data = b""
            if data:
                conn.sendall(data)  # small echoes: the send buffer has room
            else:
                sel.unregister(conn)
                conn.close()


def udp_echo(port, name):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", int(port)))
    say("ready")
    while True:
        data, peer = s.recvfrom(65536)
        s.sendto(name.encode() + b":" + data, peer)


def ask(addr, port, message):
    """Sends one datagram and returns the reply and who sent it."""
    info = socket.getaddrinfo(addr, int(port), socket.AF_INET6, socket.SOCK_DGRAM)[0]
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.settimeout(5)
    say("ready")
    s.sendto(message.encode(), info[4])
    return s.recvfrom(65536)


def udp_ask(addr, port, message):
    data, _ = ask(addr, port, message)
    say("reply", data.decode())


def udp_ask_src(addr, port, message):
    data, peer = ask(addr, port, message)
    say("reply", data.decode(), "from", peer[0])


def udp_send(src, addr, port, hops, *messages):
    info = socket.getaddrinfo(addr, int(port), socket.AF_INET6, socket.SOCK_DGRAM)[0]
    dest = info[4]
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    if src != "-":
        s.bind((src, 0, 0, socket.if_nametoindex("eth0")))
    hops, _, tclass = hops.partition("/")
    if tclass:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, int(tclass))
    if socket.inet_pton(socket.AF_INET6, dest[0].split("%")[0])[0] == 0xFF:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, dest[3])
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, int(hops))
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, int(hops))
    for message in messages:
        s.sendto(message.encode(), dest)
    say("sent")


def udp_source(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", int(port)))
    say("ready")
    while True:
        data, peer = s.recvfrom(65536)
        say("got", data.decode(), "from", peer[0])


# Linux's numbers, where Python's socket module lacks the name.
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IP_RECVTOS = getattr(socket, "IP_RECVTOS", 13)


def udp4_send(src, addr, port, ttl_tos, *messages):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind((src, 0))
    ttl, _, tos = ttl_tos.partition("/")
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, int(ttl))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, int(tos or 0))
    for message in messages:
        s.sendto(message.encode(), (addr, int(port)))
    say("sent")


def udp4_source(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_RECVTOS, 1)
    s.bind(("0.0.0.0", int(port)))
    say("ready")
    while True:
        data, ancdata, _flags, peer = s.recvmsg(65536, 256)
        info = {}
        for level, kind, value in ancdata:
            if level == socket.IPPROTO_IP and kind == socket.IP_TTL:
                info["ttl"] = int.from_bytes(value[:4], sys.byteorder)
            elif level == socket.IPPROTO_IP and kind == socket.IP_TOS:
                info["tos"] = value[0]
        say("got", data.decode(), "from", peer[0], "ttl", info.get("ttl"), "tos", info.get("tos"))


def mcast4_listen(group, port, ifaddr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((group, int(port)))
    mreq = socket.inet_aton(group) + socket.inet_aton(ifaddr)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    say("ready")
    while True:
        data, peer = s.recvfrom(65536)
        say("got", data.decode(), "from", peer[0])


def mcast_listen(group, port, ifname):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", int(port)))
    mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", socket.if_nametoindex(ifname))
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    say("ready")
    while True:
        data, peer = s.recvfrom(65536)
        say("got", data.decode(), "from", peer[0])


def mcast_send(group, port, ifname, message):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(ifname))
    s.sendto(message.encode(), (group, int(port), 0, socket.if_nametoindex(ifname)))
    say("sent")


def tls_echo(port, cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    s = listener(int(port))
    while True:
        conn, _ = s.accept()
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(tls.recv(65536))
        except (ssl.SSLError, OSError):
            # A client that refused our certificate: the next one may not.
            conn.close()


def http_name(port, name):
    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = name.encode()
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = Server(("::", int(port)), Handler)
    say("ready")
    server.serve_forever()


def dns_nxdomain(addr, port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    say("ready")
    while True:
        query, peer = s.recvfrom(4096)
        if len(query) < 12:
            continue
        # Same id and question; QR, RD and RA set, RCODE 3 (NXDOMAIN).
        rd = query[2] & 0x01
        header = query[:2] + bytes([0x80 | rd, 0x83]) + query[4:6] + bytes(6)
        s.sendto(header + query[12:], peer)


def mdns4_answer(ifname, src, addr):
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listen.bind(("0.0.0.0", 5353))
    mreqn = socket.inet_aton("224.0.0.251") + socket.inet_aton("0.0.0.0") \
        + struct.pack("@i", socket.if_nametoindex(ifname))
    listen.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
    reply = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    reply.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    reply.bind((src, 5353))
    for query, peer in queries(listen):
        end = 12
        while end < len(query) and query[end] != 0:
            end += query[end] + 1
        question = query[12:end + 1] + struct.pack("!HH", 1, 1)
        rr = query[12:end + 1] + struct.pack("!HHIH", 1, 1, 120, 4) + socket.inet_aton(addr)
        reply.sendto(query[:2] + b"\x84\x00" + struct.pack("!HHHH", 1, 1, 0, 0) + question + rr, peer)
        say("answered")


def mdns4_ask(src, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
    s.sendto(b"\x56\x78" + bytes(2) + struct.pack("!HHHH", 1, 0, 0, 0) + dns_name(name)
             + struct.pack("!HH", 1, 1), ("224.0.0.251", 5353))
    s.settimeout(1.0)
    try:
        reply = s.recv(9000)
    except socket.timeout:
        say("silent")
        return
    count = struct.unpack("!H", reply[6:8])[0]
    # Each A record's address: its 4 bytes after type 1, class, TTL and length 4.
    found = [socket.inet_ntoa(reply[i + 10:i + 14]) for i in range(12, len(reply) - 13)
             if reply[i:i + 2] == b"\x00\x01" and reply[i + 8:i + 10] == b"\x00\x04"]
    say("answers", count, "with", *found)


def mdns_ask(src, addr, name, *known):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(socket.getaddrinfo(src, 0, socket.AF_INET6, socket.SOCK_DGRAM)[0][4])
    question = dns_name(name)
    qtype = 28
    if known and known[0] == "--type=ptr":
        qtype, known = 12, known[1:]
    # Known answers (RFC 6762 section 7.1): AAAA records for the name, each
    # ADDRESS/TTL, in the answer section.
    answers = b""
    for item in known:
        address, ttl = item.rsplit("/", 1)
        answers += (b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, int(ttl), 16)
                    + socket.inet_pton(socket.AF_INET6, address))
    s.sendto(b"\x12\x34" + bytes(2) + struct.pack("!HHHH", 1, len(known), 0, 0) + question
             + struct.pack("!HH", qtype, 1) + answers,
             socket.getaddrinfo(addr, 5353, socket.AF_INET6, socket.SOCK_DGRAM)[0][4])
    s.settimeout(1.0)
    try:
        reply = s.recv(9000)
        say("answers", struct.unpack("!H", reply[6:8])[0])
    except socket.timeout:
        say("silent")


def mdns_ask_each_line(src, addr, name):
    """mdns_ask, once for each line read: a querier already running, so
    that a question goes out within milliseconds of being asked for."""
    say("ready")
    for _line in sys.stdin:
        mdns_ask(src, addr, name)


def icmp6_error(*errors):
    """A host or router that answers echo requests with errors: the n-th
    request gets the n-th TYPE/CODE, quoting the invoking packet, its IPv6
    header rebuilt from what arrived (RFC 4443 section 2.4 (c)). A raw
    ICMPv6 socket: the kernel fills in the checksum."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    say("ready")
    for error in errors:
        while True:
            request, ancillary, _, peer = s.recvmsg(65536, 256)
            if request[0] == 128:  # echo request
                break
        info = dict((kind, data) for _, kind, data in ancillary)
        destination = info[socket.IPV6_PKTINFO][:16]
        hops = struct.unpack("@i", info[socket.IPV6_HOPLIMIT])[0]
        source = socket.inet_pton(socket.AF_INET6, peer[0].split("%")[0])
        header = struct.pack("!IHBB", 6 << 28, len(request), 58, hops) + source + destination
        kind, code = (int(n) for n in error.split("/"))
        # Parameter problem's pointer: the echo request's type byte.
        pointer = 40 if kind == 4 else 0
        s.sendto(struct.pack("!BBHI", kind, code, 0, pointer) + header + request, peer)
        say("sent", error)


def mdns_socket(ifname):
    index = socket.if_nametoindex(ifname)
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", 5353))
    mreq = socket.inet_pton(socket.AF_INET6, "ff02::fb") + struct.pack("@I", index)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
    return s, ("ff02::fb", 5353, 0, index)


def dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def mdns_answer(name, addr):
    # A response (QR, AA), no question, one AAAA answer, class IN with the
    # cache-flush bit (RFC 6762 section 10.2).
    rr = dns_name(name) + struct.pack("!HHIH", 28, 0x8001, 120, 16) + socket.inet_pton(socket.AF_INET6, addr)
    return bytes(2) + b"\x84\x00" + struct.pack("!HHHH", 0, 1, 0, 0) + rr


def mdns_announce(ifname, name, addr):
    s, group = mdns_socket(ifname)
    s.sendto(mdns_answer(name, addr), group)
    say("announced")


def mdns_claim(ifname, name, addr):
    s, group = mdns_socket(ifname)
    say("ready")
    s.sendto(mdns_answer(name, addr), group)
    wanted = dns_name(name).lower()
    while True:
        query, _peer = s.recvfrom(9000)
        if len(query) < 12 or query[2] & 0x80 or struct.unpack("!H", query[4:6])[0] == 0:
            continue
        if query[12:12 + len(wanted)].lower() == wanted:
            s.sendto(mdns_answer(name, addr), group)
            say("defended")


def mdns_claim_all(ifname, prefix, addr):
    """Claims every .local name starting with `prefix` that is probed for,
    answering the probe at once with `addr`, and tells each claim with the
    ms since the first: a responder that is always in conflict (RFC 6762
    section 8.1's rate limit)."""
    s, group = mdns_socket(ifname)
    first = None
    for query, _peer in queries(s):
        authority = struct.unpack("!H", query[8:10])[0]
        if authority == 0:
            continue
        name, _end = read_name(query, 12)
        text = name.decode(errors="replace").lower()
        if text.startswith(prefix) and text.endswith(".local"):
            s.sendto(mdns_answer(text, addr), group)
            now = time.monotonic()
            first = now if first is None else first
            say("claimed", text, int((now - first) * 1000))


def mdns_watch(ifname, name, addr):
    s, _group = mdns_socket(ifname)
    wanted = dns_name(name).lower()
    packed = socket.inet_pton(socket.AF_INET6, addr)
    say("ready")
    while True:
        message, _peer = s.recvfrom(9000)
        questions, answers = struct.unpack("!HH", message[4:8]) if len(message) >= 12 else (1, 0)
        if message[2] & 0x80 and questions == 0 and answers > 0 \
                and message[12:12 + len(wanted)].lower() == wanted:
            say("answer", "with" if packed in message else "without", addr)


def mdns_ttl(ifname, name):
    """For each multicast response from fe80::1 (the host under test) with
    a record for NAME in its answer section, prints "ttl N": the record's
    TTL (0: a goodbye)."""
    s, _group = mdns_socket(ifname)
    wanted = name.lower().encode()
    say("ready")
    while True:
        message, peer = s.recvfrom(9000)
        if peer[0].split("%")[0] != "fe80::1" or len(message) < 12 or not message[2] & 0x80:
            continue
        for owner, _rtype, ttl, _at, _length in answer_section(message):
            if owner.lower() == wanted:
                say("ttl", ttl)


def mdns_time(ifname, name, qtype):
    """A multicast question (QM, from port 5353) for NAME of type QTYPE (a
    number); prints "answer MS": the milliseconds until the first
    multicast answer whose first record is NAME's."""
    s, group = mdns_socket(ifname)
    wanted = dns_name(name).lower()
    s.settimeout(2.0)
    start = time.monotonic()
    s.sendto(bytes(4) + struct.pack("!HHHH", 1, 0, 0, 0) + dns_name(name)
             + struct.pack("!HH", int(qtype), 1), group)
    try:
        while True:
            message, _peer = s.recvfrom(9000)
            questions, answers = struct.unpack("!HH", message[4:8]) if len(message) >= 12 else (1, 0)
            if message[2] & 0x80 and questions == 0 and answers > 0 \
                    and message[12:12 + len(wanted)].lower() == wanted:
                say("answer", int((time.monotonic() - start) * 1000))
                return
    except socket.timeout:
        say("silent")


def mdns_dup_answer(ifname, name, target, ttl):
    """A multicast PTR question (QM, from port 5353) for NAME, followed at
    once, unless TTL is "none", by an answer to it as another responder
    would send it: NAME PTR TARGET with TTL. Prints "answers N": how many
    multicast answers from fe80::1 (the host under test) carry a PTR to
    TARGET (its first labels, however the name is compressed) within
    400 ms."""
    s, group = mdns_socket(ifname)
    question = bytes(4) + struct.pack("!HHHH", 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", 12, 1)
    s.sendto(question, group)
    if ttl != "none":
        s.sendto(mdns_reply(bytes(2), [rr(name.encode(), 12, wire_name(target.encode()), int(ttl))]),
                 group)
    labels = b"".join(bytes([len(l)]) + l.encode() for l in target.split(".")[:2])
    deadline = time.monotonic() + 0.4
    count = 0
    while (left := deadline - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            message, peer = s.recvfrom(9000)
        except socket.timeout:
            break
        if peer[0].split("%")[0] == "fe80::1" and message[2] & 0x80 and labels in message:
            count += 1
    say("answers", count)


def mdns_flood_ask(ifname, name, qtype, count):
    """COUNT multicast questions (QM, from port 5353) for NAME of type
    QTYPE, 20 ms apart; prints "answers N": the multicast answers whose
    first record is NAME's heard until 1.5 s after the first question."""
    s, group = mdns_socket(ifname)
    wanted = dns_name(name).lower()
    query = bytes(4) + struct.pack("!HHHH", 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", int(qtype), 1)
    start = time.monotonic()
    for _ in range(int(count)):
        s.sendto(query, group)
        time.sleep(0.02)
    answers = 0
    while True:
        left = start + 1.5 - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            message, _peer = s.recvfrom(9000)
        except socket.timeout:
            break
        questions, count_ = struct.unpack("!HH", message[4:8]) if len(message) >= 12 else (1, 0)
        if message[2] & 0x80 and questions == 0 and count_ > 0 \
                and message[12:12 + len(wanted)].lower() == wanted:
            answers += 1
    say("answers", answers)


def mdns_repeat_ask(ifname, name, every, count, *known):
    """Asks NAME's PTR (QM, from port 5353) every EVERY seconds, COUNT
    times (0: for ever), listing a PTR to each of KNOWN as a known answer;
    prints "asked" for each, and "heard" with the types asked for each
    query from fe80::1 (the host under test)."""
    answers = [rr(name.encode(), 12, wire_name(k.encode())) for k in known]
    query = (bytes(4) + struct.pack("!HHHH", 1, len(answers), 0, 0) + dns_name(name)
             + struct.pack("!HH", 12, 1) + b"".join(answers))
    repeat_ask(ifname, query, every, count)


def mdns_repeat_ask_host(ifname, name, every, count):
    """The same for a host name: its AAAA and A, no known answer."""
    mdns_repeat_ask_questions(ifname, every, count, f"{name}/28", f"{name}/1")


def mdns_repeat_ask_questions(ifname, every, count, *asked):
    """Asks each NAME/QTYPE of ASKED in one query (QM, from port 5353, no
    known answer) every EVERY seconds, COUNT times (0: for ever)."""
    repeat_ask(ifname, questions_query([q.rsplit("/", 1) for q in asked]), every, count)


def questions_query(pairs):
    """A query (QM, no known answer) of each (NAME, QTYPE) in pairs, QTYPE
    a number written out."""
    return (bytes(4) + struct.pack("!HHHH", len(pairs), 0, 0, 0)
            + b"".join(dns_name(name) + struct.pack("!HH", int(qtype), 1) for name, qtype in pairs))


def repeat_ask(ifname, query, every, count):
    s, group = mdns_socket(ifname)
    every, count = float(every), int(count)
    sent, next_at = 0, time.monotonic()
    say("ready")
    while True:
        more = count == 0 or sent < count
        if more and time.monotonic() >= next_at:
            s.sendto(query, group)
            sent += 1
            next_at += every
            say("asked")
            continue
        s.settimeout(max(0.001, next_at - time.monotonic()) if more else None)
        try:
            message, peer = s.recvfrom(9000)
        except socket.timeout:
            continue
        if peer[0].split("%")[0] == "fe80::1" and len(message) >= 12 and not message[2] & 0x80:
            say("heard", *[TYPES.get(t, str(t)) for _, t in questions(message)])


def our_responses(s, start, seconds):
    """Each response from us (fe80::1) that s receives until `seconds`
    after `start`, with the ms since `start`."""
    while (left := start + seconds - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            message, peer = s.recvfrom(9000)
        except socket.timeout:
            return
        if peer[0].split("%")[0] == "fe80::1" and message[2] & 0x80:
            yield int((time.monotonic() - start) * 1000), message


def mdns_tc_ask(ifname, name, first, later):
    """Multipacket known-answer suppression (RFC 6762 section 7.2), the
    querier's side: a query whose known answers go on in a second packet."""
    s, group = mdns_socket(ifname)
    owner = name.encode()

    def known(labels):
        return [] if labels == "-" else \
            [rr(owner, 12, wire_name(label.encode() + b"." + owner)) for label in labels.split(",")]

    first, later = known(first), known(later)
    start = time.monotonic()
    s.sendto(b"\0\0\x02\0" + struct.pack("!HHHH", 1, len(first), 0, 0) + dns_name(name)
             + struct.pack("!HH", 12, 1) + b"".join(first), group)
    time.sleep(0.15)
    s.sendto(bytes(4) + struct.pack("!HHHH", 0, len(later), 0, 0) + b"".join(later), group)
    heard = False
    for ms, message in our_responses(s, start, 1.5):
        labels = sorted(target[:-len(owner) - 1].decode() for found, target in ptr_answers(message)
                        if found.lower() == owner.lower())
        if labels:
            heard = True
            say("answer", ms, *labels)
    if not heard:
        say("silent")


def mdns_multi_ask(ifname, gap, *specs):
    s, group = mdns_socket(ifname)
    asked = set()
    packets = []
    for spec in specs:
        pairs = [q.split("/") for q in spec.split("+")]
        asked.update(name.lower().encode() for name, _ in pairs)
        packets.append(questions_query(pairs))
    start = time.monotonic()
    for i, packet in enumerate(packets):
        if i:
            time.sleep(int(gap) / 1000)
        s.sendto(packet, group)
    for ms, message in our_responses(s, start, time.monotonic() - start + 0.7):
        found = [(section, owner.lower(), rtype)
                 for section, owner, rtype, _ttl, _at, _length in records(message)]
        if any(owner in asked for _, owner, _ in found):
            say("message", ms,
                *[f"{section}:{owner.decode()}/{TYPES.get(rtype, str(rtype))}"
                  for section, owner, rtype in found])


def records(message):
    """Every record of a message, as (section, owner, type, TTL, offset of
    the data, its length): section "an", "ns" or "ar"."""
    counts = struct.unpack("!HHHH", message[4:12])
    offset = 12
    for _ in range(counts[0]):
        _name, offset = read_name(message, offset)
        offset += 4
    found = []
    for section, count in zip(("an", "ns", "ar"), counts[1:]):
        for _ in range(count):
            owner, offset = read_name(message, offset)
            rtype, _rclass, ttl, rdlength = struct.unpack("!HHIH", message[offset:offset + 10])
            found.append((section, owner, rtype, ttl, offset + 10, rdlength))
            offset += 10 + rdlength
    return found


def mdns_probe_race(ifname, name, addr):
    s, group = mdns_socket(ifname)
    wanted = dns_name(name).lower()
    # A probe (RFC 6762 section 8.1): the name, type ANY, QU; the record
    # claimed in the authority section.
    probe = (bytes(4) + struct.pack("!HHHH", 1, 0, 1, 0) + dns_name(name)
             + struct.pack("!HH", 255, 0x8001) + b"\xc0\x0c"
             + struct.pack("!HHIH", 28, 1, 120, 16) + socket.inet_pton(socket.AF_INET6, addr))
    say("ready")
    first = None
    while True:
        message, _peer = s.recvfrom(9000)
        if len(message) < 12 or message[12:12 + len(wanted)].lower() != wanted:
            continue
        now = time.monotonic()
        if message[2] & 0x80:
            say("announcement")
        elif first is None:
            first = now
            s.sendto(probe, group)
            say("probe 0")
        else:
            say("probe", int((now - first) * 1000))


def mdns_hostile(ifname, mode, addr):
    s, _group = mdns_socket(ifname)
    rng = random.Random(13)
    count = 0
    for query, peer in queries(s):
        count += 1
        qid = query[:2]
        # The first question: its name, type and class, as sent.
        end = 12
        while end < len(query) and query[end] != 0:
            end += query[end] + 1
        question = query[12:end + 5]
        name = query[12:end + 1]
        say("query from", peer[0])

        def answer(ip, ident=qid, rname=name, ttl=120):
            rr = rname + struct.pack("!HHIH", 28, 1, ttl, 16) + socket.inet_pton(socket.AF_INET6, ip)
            return ident + b"\x84\x00" + struct.pack("!HHHH", 1, 1, 0, 0) + question + rr

        replies = []
        if mode == "second":
            # Silent to the first query: only a querier that asks again hears.
            if count % 2 == 1:
                continue
            replies.append(answer(addr))
        elif mode == "garbage":
            good = answer(addr)
            # 120 replies: with the good one, all fit in a socket's default
            # receive buffer (rmem_default, 208 KiB) even unread, so the
            # good answer is never the kernel's to drop.
            for i in range(120):
                kind = i % 8
                if kind == 0:    # random bytes
                    replies.append(bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 400))))
                elif kind == 1:  # a good answer cut short
                    replies.append(good[: rng.randrange(0, len(good))])
                elif kind == 2:  # a compression pointer to itself
                    replies.append(qid + b"\x84\x00" + struct.pack("!HHHH", 0, 1, 0, 0) + b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 120, 16) + bytes(16))
                elif kind == 3:  # another query id
                    replies.append(answer("fe80::bad", ident=struct.pack("!H", (int.from_bytes(qid, "big") + 1) % 65536)))
                elif kind == 4:  # a random name never asked for, random labels
                    labels = b"".join(bytes([n]) + bytes(rng.randrange(33, 127) for _ in range(n)) for n in (rng.randrange(1, 63), rng.randrange(1, 63)))
                    replies.append(answer("fe80::bad", rname=labels + b"\x05local\x00"))
                elif kind == 5:  # rdlength beyond the end
                    replies.append(good[:-16] + bytes(4))
                elif kind == 6:  # a label longer than the packet
                    replies.append(qid + b"\x84\x00" + struct.pack("!HHHH", 0, 1, 0, 0) + b"\x3f" + b"a" * 10)
                else:            # counts that promise 65535 records
                    replies.append(qid + b"\x84\x00" + struct.pack("!HHHH", 65535, 65535, 65535, 65535))
            replies.append(good)
        else:
            # 10 replies of 300 answers each, every answer another address.
            prefix = addr.rsplit(":", 1)[0]
            for p in range(10):
                # The name as a pointer to the question's (offset 12).
                rrs = b"".join(
                    b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 120, 16)
                    + socket.inet_pton(socket.AF_INET6, "%s:%x" % (prefix, p * 300 + i + 1))
                    for i in range(300))
                replies.append(qid + b"\x84\x00" + struct.pack("!HHHH", 1, 300, 0, 0) + question + rrs)
        for r in replies:
            s.sendto(r, peer)
        say("sent", len(replies))


def mdns_hostile_ask(ifname, name, good_question, seed):
    s, group = mdns_socket(ifname)
    rng = random.Random(int(seed))
    wanted = dns_name(name)

    def query(questions, known=(), authority=(), flags=b"\x00\x00", ident=bytes(2)):
        return (ident + flags + struct.pack("!HHHH", len(questions), len(known), len(authority), 0)
                + b"".join(questions) + b"".join(known) + b"".join(authority))

    def random_labels():
        return b"".join(bytes([n]) + bytes(rng.getrandbits(8) for _ in range(n))
                        for n in (rng.randrange(1, 64), rng.randrange(1, 64))) + b"\x00"

    ours = wanted + struct.pack("!HH", 28, 1)
    qname, qtype = good_question.split("/")
    good = query([dns_name(qname) + struct.pack("!HH", int(qtype), 1)])
    for i in range(120):
        kind = i % 10
        if kind == 0:    # random bytes
            q = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 400)))
        elif kind == 1:  # a query for our name cut short
            whole = query([ours])
            q = whole[: rng.randrange(0, len(whole))]
        elif kind == 2:  # a question whose name points to itself
            q = query([b"\xc0\x0c" + struct.pack("!HH", 28, 1)])
        elif kind == 3:  # our question 400 times over
            q = query([ours] * 400)
        elif kind == 4:  # TC, and 40 known answers of random names
            q = query([ours], [random_labels() + struct.pack("!HHIH", 28, 1, 120, 16) + bytes(16)
                               for _ in range(40)], flags=b"\x02\x00")
        elif kind == 5:  # counts that promise 65535 of everything
            q = bytes(2) + b"\x00\x00" + struct.pack("!HHHH", 65535, 65535, 65535, 65535)
        elif kind == 6:  # random bytes as labels, random type and class
            q = query([random_labels() + struct.pack("!HH", rng.getrandbits(16), rng.getrandbits(16))])
        elif kind == 7:  # a probe for our name, its authority record cut or whole
            record = wanted + struct.pack("!HHIH", 28, 1, 120, 16) + socket.inet_pton(socket.AF_INET6, "fe80::bad")
            q = query([wanted + struct.pack("!HH", 255, 1)], authority=[record[: -rng.randrange(0, 8) or None]])
        elif kind == 8:  # an answer for random names, cache flush, goodbye
            q = (bytes(2) + b"\x84\x00" + struct.pack("!HHHH", 0, 1, 0, 0) + random_labels()
                 + struct.pack("!HHIH", 28, 0x8001, 0, 16) + bytes(16))
        else:            # our question, QU, and any type
            q = query([wanted + struct.pack("!HH", 255, 0x8001)])
        s.sendto(q, group)
    time.sleep(1.2)
    # What came meanwhile is not the answer looked for.
    s.setblocking(False)
    try:
        while True:
            s.recvfrom(9000)
    except BlockingIOError:
        pass
    s.setblocking(True)
    start = time.monotonic()
    s.sendto(good, group)
    for _ms, message in our_responses(s, start, 1.5):
        if (struct.unpack("!H", message[4:6])[0] == 0 and struct.unpack("!H", message[6:8])[0] > 0
                and message[12:].lower().startswith(dns_name(qname).lower())):
            say("answered")
            return
    say("silent")


def read_name(message, offset):
    """A DNS name at offset (compression pointers followed), and the offset
    after it."""
    labels, end, hops = [], None, 0
    while True:
        length = message[offset]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | message[offset + 1]
            hops += 1
            if hops > 20:
                raise ValueError("loop")
        elif length == 0:
            return b".".join(labels), (end if end is not None else offset + 1)
        else:
            labels.append(message[offset + 1:offset + 1 + length])
            offset += 1 + length


def queries(s):
    """Says ready, then gives each query (QR clear) s receives, with its
    sender."""
    say("ready")
    while True:
        query, peer = s.recvfrom(9000)
        if len(query) >= 12 and not query[2] & 0x80:
            yield query, peer


def questions(message):
    count = struct.unpack("!H", message[4:6])[0]
    offset, found = 12, []
    for _ in range(count):
        name, offset = read_name(message, offset)
        qtype, _qclass = struct.unpack("!HH", message[offset:offset + 4])
        offset += 4
        found.append((name.lower(), qtype))
    return found


def wire_name(name):
    return b"".join(bytes([len(label)]) + label for label in name.split(b".")) + b"\0"


def rr(name, rtype, data, ttl=120):
    return wire_name(name) + struct.pack("!HHIH", rtype, 1, ttl, len(data)) + data


def txt_data(*strings):
    return b"".join(bytes([len(t)]) + t for t in strings)


def srv_data(port, target):
    return struct.pack("!HHH", 0, 0, port) + wire_name(target)


def mdns_reply(ident, answers, additional=()):
    return (ident + b"\x84\x00" + struct.pack("!HHHH", 0, len(answers), 0, len(additional))
            + b"".join(answers) + b"".join(additional))


TYPES = {12: "PTR", 33: "SRV", 16: "TXT", 28: "AAAA", 1: "A"}


def dnssd_bare(ifname, *qtypes):
    s, _group = mdns_socket(ifname)
    instance = b"Bare One._bare._tcp.local"
    records = {
        (b"_bare._tcp.local", 12): rr(b"_bare._tcp.local", 12, wire_name(instance)),
        (instance.lower(), 33): rr(instance, 33, srv_data(7140, b"bare-host.local")),
        (instance.lower(), 16): rr(instance, 16, txt_data(b"k=v")),
        (b"bare-host.local", 28): rr(b"bare-host.local", 28,
                                     socket.inet_pton(socket.AF_INET6, "fe80::2")),
    }
    for query, peer in queries(s):
        asked = questions(query)
        say("asked", *[TYPES.get(t, str(t)) for _, t in asked])
        answers = [records[q] for q in asked
                   if q in records and (not qtypes or str(q[1]) in qtypes)]
        if answers:
            s.sendto(mdns_reply(query[:2], answers), peer)


def known_answers(message):
    """The PTR targets in a query's answer section (its known answers,
    RFC 6762 section 7.1)."""
    return [target.decode() for _owner, target in ptr_answers(message)]


def answer_section(message):
    """The records of a message's answer section, as (owner, type, TTL,
    offset of the data, its length)."""
    return [record[1:] for record in records(message) if record[0] == "an"]


def ptr_answers(message):
    """The PTR records in a message's answer section, as (owner, target)."""
    return [(owner, read_name(message, at)[0])
            for owner, rtype, _ttl, at, _length in answer_section(message) if rtype == 12]


def dnssd_short(ifname, ttl):
    s, group = mdns_socket(ifname)
    instance = b"Short One._short._tcp.local"
    ttl = int(ttl)
    answers = [rr(b"_short._tcp.local", 12, wire_name(instance), ttl)]
    additional = [rr(instance, 33, srv_data(7142, b"short-host.local"), ttl),
                  rr(instance, 16, txt_data(b"s=1"), ttl),
                  rr(b"short-host.local", 28, socket.inet_pton(socket.AF_INET6, "fe80::2"), ttl)]
    answered = False
    for query, _peer in queries(s):
        asked = questions(query)
        say("asked", *[TYPES.get(t, str(t)) for _, t in asked], "known", *known_answers(query))
        if not answered and (b"_short._tcp.local", 12) in asked:
            answered = True
            s.sendto(mdns_reply(bytes(2), answers, additional), group)


def address_answers(message):
    """The addresses in a query's answer section (its known answers, RFC
    6762 section 7.1), as text."""
    families = {(28, 16): socket.AF_INET6, (1, 4): socket.AF_INET}
    return [socket.inet_ntop(families[(rtype, length)], message[at:at + length])
            for _owner, rtype, _ttl, at, length in answer_section(message)
            if (rtype, length) in families]


def mdns_host_once(ifname, name, addr, ttl):
    """A host that answers the first AAAA question for NAME with ADDR and
    TTL (seconds), multicast, then is silent; prints each query it hears
    that asks for NAME: "asked", the types asked for it, "known", the
    addresses the query lists as known answers."""
    s, group = mdns_socket(ifname)
    wanted = name.lower().encode()
    answered = False
    for query, _peer in queries(s):
        asked = [t for n, t in questions(query) if n == wanted]
        if not asked:
            continue
        say("asked", *[TYPES.get(t, str(t)) for t in asked], "known", *address_answers(query))
        if not answered and 28 in asked:
            answered = True
            record = rr(name.encode(), 28, socket.inet_pton(socket.AF_INET6, addr), int(ttl))
            s.sendto(mdns_reply(bytes(2), [record]), group)


def dnssd4(ifname, addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 5353))
    mreqn = socket.inet_aton("224.0.0.251") + socket.inet_aton("0.0.0.0") \
        + struct.pack("@i", socket.if_nametoindex(ifname))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    instance = b"Four._four._tcp.local"
    answers = [rr(b"_four._tcp.local", 12, wire_name(instance))]
    additional = [rr(instance, 33, srv_data(7143, b"four-host.local")),
                  rr(instance, 16, txt_data(b"f=4")),
                  rr(b"four-host.local", 1, socket.inet_aton(addr))]
    for query, peer in queries(s):
        if (b"_four._tcp.local", 12) in questions(query):
            if peer[1] == 5353:
                s.sendto(mdns_reply(bytes(2), answers, additional), ("224.0.0.251", 5353))
            else:
                s.sendto(mdns_reply(query[:2], answers, additional), peer)
            say("answered")


def dnssd_flood(ifname):
    s, _group = mdns_socket(ifname)
    host = rr(b"flood-host.local", 28, socket.inet_pton(socket.AF_INET6, "fe80::2"))
    for query, peer in queries(s):
        if (b"_flood._tcp.local", 12) not in questions(query):
            continue
        for p in range(10):
            names = [b"Flood %d._flood._tcp.local" % (p * 40 + i + 1) for i in range(40)]
            answers = [rr(b"_flood._tcp.local", 12, wire_name(n)) for n in names]
            additional = [host] + [r for n in names for r in
                                   (rr(n, 33, srv_data(7141, b"flood-host.local")),
                                    rr(n, 16, txt_data(b"n=" + n.split(b".")[0])))]
            s.sendto(mdns_reply(query[:2], answers, additional), peer)
        say("sent", 10)


def dnssd_many(ifname, count):
    """Answers the first PTR question for _many._tcp.local with `count`
    instances (TTL 4500, 20 to a reply), then tells of every query it
    hears: its size, TC bit, questions and known answers (RFC 6762 7.2)."""
    s, group = mdns_socket(ifname)
    host = rr(b"many-host.local", 28, socket.inet_pton(socket.AF_INET6, "fe80::2"), 4500)
    names = [b"Many Instance %d._many._tcp.local" % (i + 1) for i in range(int(count))]
    answered = False
    for query, _peer in queries(s):
        asked = questions(query)
        say("query", len(query), "tc", (query[2] >> 1) & 1, "questions", len(asked),
            "known", len(known_answers(query)))
        if not answered and (b"_many._tcp.local", 12) in asked:
            answered = True
            for first in range(0, len(names), 20):
                part = names[first:first + 20]
                answers = [rr(b"_many._tcp.local", 12, wire_name(n), 4500) for n in part]
                additional = [host] + [r for n in part for r in
                                       (rr(n, 33, srv_data(7165, b"many-host.local"), 4500),
                                        rr(n, 16, txt_data(b"m=1"), 4500))]
                s.sendto(mdns_reply(bytes(2), answers, additional), group)


ROLES = {
    "dnssd-bare": dnssd_bare,
    "dnssd-many": dnssd_many,
    "dnssd-flood": dnssd_flood,
    "dnssd-short": dnssd_short,
    "dnssd4": dnssd4,
    "mdns-announce": mdns_announce,
    "mdns-host-once": mdns_host_once,
    "icmp6-error": icmp6_error,
    "mdns-claim": mdns_claim,
    "mdns-claim-all": mdns_claim_all,
    "mdns-probe-race": mdns_probe_race,
    "mdns-tc-ask": mdns_tc_ask,
    "mdns-multi-ask": mdns_multi_ask,
    "mdns-repeat-ask": mdns_repeat_ask,
    "mdns-repeat-ask-host": mdns_repeat_ask_host,
    "mdns-repeat-ask-questions": mdns_repeat_ask_questions,
    "mdns-watch": mdns_watch,
    "mdns-time": mdns_time,
    "mdns-ttl": mdns_ttl,
    "mdns-flood-ask": mdns_flood_ask,
    "mdns-dup-answer": mdns_dup_answer,
    "mdns-hostile": mdns_hostile,
    "mdns-hostile-ask": mdns_hostile_ask,
    "tcp-name": tcp_name,
    "tcp-echo": tcp_echo,
    "tcp-echo-many": tcp_echo_many,
    "udp-echo": udp_echo,
    "udp-ask": udp_ask,
    "udp-ask-src": udp_ask_src,
    "udp-send": udp_send,
    "udp-source": udp_source,
    "udp4-send": udp4_send,
    "mcast4-listen": mcast4_listen,
    "udp4-source": udp4_source,
    "mcast-listen": mcast_listen,
    "mcast-send": mcast_send,
    "tls-echo": tls_echo,
    "http-name": http_name,
    "dns-nxdomain": dns_nxdomain,
    "mdns-ask": mdns_ask,
    "mdns-ask-each-line": mdns_ask_each_line,
    "mdns4-ask": mdns4_ask,
    "mdns4-answer": mdns4_answer,
}

if __name__ == "__main__":
    ROLES[sys.argv[1]](*sys.argv[2:])
