//! One line describing each field of [`super::FIELDS`], for `--list-fields` and the man page.

/// `did you mean a, b?` for an unknown name, when some known names are close to it.
pub fn suggestion(name: &str) -> Option<String> {
    let close = super::fields::close_names(name);
    (!close.is_empty()).then(|| format!("did you mean {}?", close.join(", ")))
}

/// The description of a canonical field name (empty when the field has none yet).
pub fn description(name: &str) -> &'static str {
    match name {
        "frame" => "Every frame",
        "eth" => "Ethernet II header present",
        "ip" => "IPv4 header present",
        "ipv6" => "IPv6 header present",
        "tcp" => "TCP header present",
        "udp" => "UDP header present",
        "icmp" => "ICMP message present",
        "icmpv6" => "ICMPv6 message present",
        "arp" => "ARP message present",
        "http" => "An HTTP/1.x message completed in this frame",
        "http.request" => "An HTTP request completed in this frame",
        "http.response" => "An HTTP response completed in this frame",
        "tls" => "A TLS record completed in this frame",
        "tls.handshake" => {
            "A TLS handshake message (or encrypted handshake record) completed in this frame"
        }
        "tls.alert" => "A TLS alert in this frame",
        "frame.number" => "Frame number, from 1",
        "frame.len" => "Frame length on the wire (bytes)",
        "frame.cap_len" => "Bytes captured of the frame",
        "ip.addr" => "IPv4 source or destination address",
        "ip.src" => "IPv4 source address",
        "ip.dst" => "IPv4 destination address",
        "ipv6.addr" => "IPv6 source or destination address",
        "ipv6.src" => "IPv6 source address",
        "ipv6.dst" => "IPv6 destination address",
        "tcp.port" => "TCP source or destination port",
        "tcp.srcport" => "TCP source port",
        "tcp.dstport" => "TCP destination port",
        "tcp.stream" => "TCP stream index, from 0 in order of first packet",
        "tcp.len" => "TCP payload length (bytes)",
        "tcp.seq" => "TCP sequence number, relative to the stream's first",
        "tcp.ack" => "TCP acknowledgement number, relative",
        "tcp.flags.syn" => "TCP SYN flag",
        "tcp.flags.ack" => "TCP ACK flag",
        "tcp.flags.fin" => "TCP FIN flag",
        "tcp.flags.reset" => "TCP RST flag",
        "tcp.flags.push" => "TCP PSH flag",
        "tcp.analysis.flags" => "Set when the segment has some TCP analysis flag (tshark's \"bad TCP\")",
        "tcp.analysis.retransmission" => {
            "Set on a (suspected) retransmission: below the next expected sequence number (fast and spurious ones included)"
        }
        "tcp.analysis.fast_retransmission" => {
            "Set on a retransmission at the peer's ACK within 20 ms after two or more duplicate ACKs"
        }
        "tcp.analysis.spurious_retransmission" => {
            "Set on a retransmission of data the peer has already acknowledged"
        }
        "tcp.analysis.out_of_order" => {
            "Set on a segment below the next expected sequence number, sent within the initial RTT of the one that reached it"
        }
        "tcp.analysis.lost_segment" => {
            "Set on a segment beyond the next expected sequence number (previous segment not captured)"
        }
        "tcp.analysis.ack_lost_segment" => "Set on an ACK of data that was not captured",
        "tcp.analysis.window_update" => {
            "Set on an empty segment that repeats the side's sequence and ACK numbers with a new window"
        }
        "tcp.analysis.window_full" => "Set when the segment fills the receiver's advertised window",
        "tcp.analysis.keep_alive" => "Set on a keep-alive: at most one byte, one before the next expected sequence number",
        "tcp.analysis.keep_alive_ack" => "Set on the ACK to a keep-alive",
        "tcp.analysis.duplicate_ack" => "Set on a duplicate ACK: no data, same sequence, ACK and window as the side's previous segment",
        "tcp.analysis.zero_window_probe" => "Set on a one-byte segment at the next expected sequence number while the peer's window is 0",
        "tcp.analysis.zero_window" => "Set on a segment advertising a zero window (no SYN, FIN or RST)",
        "tcp.analysis.zero_window_probe_ack" => "Set on the ACK to a zero-window probe",
        "tcp.analysis.duplicate_ack_num" => "Duplicate ACK number, from 1",
        "tcp.analysis.duplicate_ack_frame" => "Frame of the ACK a duplicate ACK repeats",
        "tcp.analysis.acks_frame" => "Frame of the segment this ACK acknowledges",
        "tcp.analysis.ack_rtt" => "Time from the acknowledged segment to this ACK (seconds, as tshark prints it)",
        "tcp.analysis.initial_rtt" => "The stream's initial RTT: SYN to the first ACK (seconds, as tshark prints it)",
        "tcp.analysis.bytes_in_flight" => "Bytes sent by this side and not yet acknowledged, after this segment",
        "tcp.analysis.push_bytes_sent" => "Bytes this side sent since its last segment with PSH",
        "udp.port" => "UDP source or destination port",
        "udp.srcport" => "UDP source port",
        "udp.dstport" => "UDP destination port",
        "udp.stream" => "UDP session index, from 0 in order of first datagram",
        "udp.length" => "UDP length field: header and payload (bytes)",
        "http.host" => "HTTP Host header",
        "http.request.method" => "HTTP request method",
        "http.request.uri" => "HTTP request target (URI)",
        "http.response.code" => "HTTP response status code",
        "http.content_type" => "HTTP Content-Type header",
        "http.user_agent" => "HTTP User-Agent header",
        "tls.handshake.type" => "TLS handshake message type (1 ClientHello, 2 ServerHello, ...)",
        "tls.sni" => "TLS server name indication (ClientHello)",
        "tls.record.version" => "TLS record layer version (0x0303 = TLS 1.2)",
        "tls.handshake.version" => "TLS version in a ClientHello/ServerHello",
        "tls.alert.description" => "TLS alert description code",
        "finding" => "A finding raised by this frame (its kind)",
        "finding.kind" => "Kind of a finding raised by this frame",
        "finding.severity" => {
            "Severity of a finding raised by this frame (info, low, medium, high)"
        }
        "http2" => "An HTTP/2 frame in this frame",
        "http3" => "HTTP/3 in this frame (QUIC opened with --keylog)",
        "http2.streamid" => "HTTP/2 stream identifier",
        "http2.type" => "HTTP/2 frame type (0 DATA, 1 HEADERS, 4 SETTINGS, ...)",
        "http2.flags" => "HTTP/2 frame flags",
        "http2.length" => "HTTP/2 frame payload length (bytes)",
        "http2.header.name" => "HTTP/2 header field name (decoded HPACK)",
        "http2.header.value" => "HTTP/2 header field value (decoded HPACK)",
        "dns" => "A DNS message in this frame",
        "dns.query" => "A DNS query",
        "dns.response" => "A DNS response",
        "dns.id" => "DNS transaction ID",
        "dns.qry.name" => "DNS query name",
        "dns.qry.type" => "DNS query type (1 A, 28 AAAA, 5 CNAME, ...)",
        "dns.resp.name" => "DNS answer record name",
        "dns.a" => "DNS answer IPv4 address",
        "dns.aaaa" => "DNS answer IPv6 address",
        "dns.cname" => "DNS answer canonical name",
        "dns.txt" => "DNS answer TXT data",
        "dns.flags.response" => "DNS QR flag: the message is a response",
        "dns.flags.truncated" => "DNS TC flag: the message was truncated",
        "dns.flags.rcode" => "DNS response code (0 no error, 3 no such name, ...)",
        "quic" => "A QUIC packet in this frame",
        "quic.initial" => "A QUIC Initial packet",
        "quic.version" => "QUIC version of a long-header packet",
        _ => "",
    }
}
