#!/usr/bin/env bash
# captures/ip-fragments.pcap: real IPv4 and IPv6 fragments made by the Linux kernel.
# Two network namespaces joined by a veth pair (MTU 1280) exchange datagrams larger than
# the MTU: UDP over IPv4 and IPv6 (a 3000-byte datagram carrying the secret `fluffy tail`
# across a fragment boundary), and ICMP/ICMPv6 echo of 3000 bytes. tcpdump captures on one
# end; a small HTTP exchange over TCP goes beside them. tshark (with ip.defragment, its default) is the oracle: captures/ip-fragments.tshark.tsv
# holds its view of every frame. Needs root, iproute2, tcpdump, tshark, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in ip tcpdump tshark python3 ping; do
    command -v "$t" >/dev/null || { echo "make-fragment-captures: needs $t" >&2; exit 1; }
done
a=sqfragA$$ b=sqfragB$$
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$a"; ip netns add "$b"
ip link add va$$ netns "$a" type veth peer name vb$$ netns "$b"
ip -n "$a" link set lo up; ip -n "$b" link set lo up
ip -n "$a" link set va$$ mtu 1280 up; ip -n "$b" link set vb$$ mtu 1280 up
ip -n "$a" addr add 192.0.2.1/24 dev va$$; ip -n "$b" addr add 192.0.2.2/24 dev vb$$
ip -n "$a" addr add 2001:db8::1/64 dev va$$ nodad; ip -n "$b" addr add 2001:db8::2/64 dev vb$$ nodad
out=captures/ip-fragments.pcap
ip netns exec "$b" tcpdump -i vb$$ -U -s 0 -w "$out" 'ip or ip6' 2>/dev/null &
dump=$!
sleep 1
ip netns exec "$b" python3 - <<'PY' &
import socket, select
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("192.0.2.2", 5301)); t.listen(1)
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4.bind(("192.0.2.2", 5300))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s6.bind(("2001:db8::2", 5300))
left = 2
while left:
    r, _, _ = select.select([s4, s6], [], [], 10)
    if not r:
        break
    for s in r:
        data, peer = s.recvfrom(65535)
        s.sendto(b"ok " + str(len(data)).encode(), peer)
        left -= 1
c, _ = t.accept()
c.recv(1000)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
c.close()
PY
srv=$!
sleep 0.5
ip netns exec "$a" python3 - <<'PY'
import socket
body = (b"A" * 1270) + b"password=fluffy tail&user=alice" + (b"B" * 1699)
for fam, addr in ((socket.AF_INET, "192.0.2.2"), (socket.AF_INET6, "2001:db8::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(body, (addr, 5300))
    s.recvfrom(100)
# A TCP exchange beside them (the path MTU keeps TCP unfragmented).
t = socket.create_connection(("192.0.2.2", 5301), timeout=5)
t.sendall(b"GET /acorns HTTP/1.1\r\nHost: 192.0.2.2\r\n\r\n")
while t.recv(1000):
    pass
t.close()
PY
wait "$srv"
ip netns exec "$a" ping -c 1 -s 3000 192.0.2.2 >/dev/null
ip netns exec "$a" ping -6 -c 1 -s 3000 2001:db8::2 >/dev/null
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
chmod 644 "$out"
tshark -r "$out" -T fields -E header=y -e frame.number -e ip.src -e ipv6.src -e udp.srcport \
    -e udp.dstport -e udp.length -e icmp.type -e icmpv6.type -e ip.fragment.count \
    -e ipv6.fragment.count -e ip.reassembled.length -e ipv6.reassembled.length -e _ws.col.Info \
    >captures/ip-fragments.tshark.tsv 2>/dev/null
echo "wrote $out and captures/ip-fragments.tshark.tsv"
