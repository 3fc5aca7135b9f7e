//! Link-type numbers (LINKTYPE_* of pcap files) and their names.

pub const NULL: u32 = 0;
pub const ETHERNET: u32 = 1;
/// DLT_RAW as some systems number it in files (OpenBSD 14, most others 12).
pub const RAW_12: u32 = 12;
pub const RAW_14: u32 = 14;
pub const RAW: u32 = 101;
pub const LOOP: u32 = 108;
pub const LINUX_SLL: u32 = 113;
pub const IPV4: u32 = 228;
pub const IPV6: u32 = 229;
pub const LINUX_SLL2: u32 = 276;

/// The name capinfos/tshark give a link type.
pub fn name(link: u32) -> String {
    match link {
        NULL => "NULL/Loopback".into(),
        ETHERNET => "Ethernet".into(),
        RAW_12 | RAW_14 | RAW => "Raw IP".into(),
        LOOP => "OpenBSD loopback".into(),
        LINUX_SLL => "Linux cooked-mode capture v1".into(),
        IPV4 => "Raw IPv4".into(),
        IPV6 => "Raw IPv6".into(),
        LINUX_SLL2 => "Linux cooked-mode capture v2".into(),
        other => format!("link type {other}"),
    }
}

/// Short name, as the JSON `link` field and `-D`-style listings use.
pub fn short_name(link: u32) -> String {
    match link {
        NULL => "NULL".into(),
        ETHERNET => "EN10MB".into(),
        RAW_12 | RAW_14 | RAW => "RAW".into(),
        LOOP => "LOOP".into(),
        LINUX_SLL => "LINUX_SLL".into(),
        IPV4 => "IPV4".into(),
        IPV6 => "IPV6".into(),
        LINUX_SLL2 => "LINUX_SLL2".into(),
        other => format!("LINKTYPE_{other}"),
    }
}
