//! Names of DNS code points (IANA "Domain Name System (DNS) Parameters"), as tshark
//! spells them.

/// Record type mnemonic (`A`, `AAAA`, ...), `None` when not in the table.
pub fn type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "A",
        2 => "NS",
        5 => "CNAME",
        6 => "SOA",
        12 => "PTR",
        13 => "HINFO",
        15 => "MX",
        16 => "TXT",
        17 => "RP",
        18 => "AFSDB",
        24 => "SIG",
        25 => "KEY",
        28 => "AAAA",
        29 => "LOC",
        33 => "SRV",
        35 => "NAPTR",
        36 => "KX",
        37 => "CERT",
        39 => "DNAME",
        41 => "OPT",
        42 => "APL",
        43 => "DS",
        44 => "SSHFP",
        45 => "IPSECKEY",
        46 => "RRSIG",
        47 => "NSEC",
        48 => "DNSKEY",
        49 => "DHCID",
        50 => "NSEC3",
        51 => "NSEC3PARAM",
        52 => "TLSA",
        53 => "SMIMEA",
        55 => "HIP",
        59 => "CDS",
        60 => "CDNSKEY",
        61 => "OPENPGPKEY",
        62 => "CSYNC",
        63 => "ZONEMD",
        64 => "SVCB",
        65 => "HTTPS",
        99 => "SPF",
        108 => "EUI48",
        109 => "EUI64",
        249 => "TKEY",
        250 => "TSIG",
        251 => "IXFR",
        252 => "AXFR",
        255 => "ANY",
        256 => "URI",
        257 => "CAA",
        _ => return None,
    })
}

/// Type as shown in summaries: the mnemonic, or `Unknown (N)`.
pub fn type_text(t: u16) -> String {
    match type_name(t) {
        Some(n) => n.to_string(),
        None => format!("Unknown ({t})"),
    }
}

/// Longer description of common types, for the tree.
pub fn type_description(t: u16) -> Option<&'static str> {
    Some(match t {
        1 => "Host Address",
        2 => "authoritative Name Server",
        5 => "Canonical NAME for an alias",
        6 => "Start Of a zone of Authority",
        12 => "domain name PoinTeR",
        15 => "Mail eXchange",
        16 => "Text strings",
        28 => "IP6 Address",
        33 => "Server Selection",
        64 => "General Purpose Service Binding",
        65 => "HTTPS Specific Service Endpoints",
        _ => return None,
    })
}

/// Class name: `IN`, `CH`, `HS`, `ANY`, or `0xNNNN`.
pub fn class_text(c: u16) -> String {
    match c {
        1 => "IN".into(),
        3 => "CH".into(),
        4 => "HS".into(),
        254 => "NONE".into(),
        255 => "ANY".into(),
        _ => format!("0x{c:04x}"),
    }
}

/// Response code as tshark words it.
pub fn rcode_name(r: u8) -> &'static str {
    match r {
        0 => "No error",
        1 => "Format error",
        2 => "Server failure",
        3 => "No such name",
        4 => "Not implemented",
        5 => "Refused",
        6 => "Name exists",
        7 => "RRset exists",
        8 => "RRset does not exist",
        9 => "Not authoritative",
        10 => "Name out of zone",
        _ => "Unassigned",
    }
}

/// Opcode as tshark words it.
pub fn opcode_name(o: u8) -> &'static str {
    match o {
        0 => "Standard query",
        1 => "Inverse query",
        2 => "Server status request",
        4 => "Zone change notification",
        5 => "Dynamic update",
        6 => "DNS Stateful operations (DSO)",
        _ => "Unknown operation",
    }
}

/// EDNS option code name.
pub fn edns_option_name(c: u16) -> &'static str {
    match c {
        3 => "NSID",
        8 => "CSUBNET - Client subnet",
        10 => "COOKIE",
        11 => "EDNS TCP Keepalive",
        12 => "PADDING",
        15 => "Extended DNS Error",
        _ => "Unknown",
    }
}

/// SvcParamKey name (RFC 9460).
pub fn svc_param_name(k: u16) -> &'static str {
    match k {
        0 => "mandatory",
        1 => "alpn",
        2 => "no-default-alpn",
        3 => "port",
        4 => "ipv4hint",
        5 => "ech",
        6 => "ipv6hint",
        7 => "dohpath",
        _ => "key",
    }
}
