//! Capture filters (BPF, tcpdump syntax) compiled by libpcap, applied to live captures by the
//! kernel and to replayed files packet by packet.

use super::CaptureError;

/// Build the filter expression from `--port` values and a trailing tcpdump-style expression:
/// `(port 80 or port 443) and (EXPR)`.
pub fn combine(ports: &[u16], expr: &str) -> Option<String> {
    let expr = expr.trim();
    let ports_expr = if ports.is_empty() {
        None
    } else {
        Some(
            ports
                .iter()
                .map(|p| format!("port {p}"))
                .collect::<Vec<_>>()
                .join(" or "),
        )
    };
    match (ports_expr, expr.is_empty()) {
        (None, true) => None,
        (Some(p), true) => Some(p),
        (None, false) => Some(expr.to_string()),
        (Some(p), false) => Some(format!("({p}) and ({expr})")),
    }
}

/// A compiled filter for replayed packets, compiled once per link type seen.
pub struct OfflineFilter {
    expr: String,
    programs: Vec<(u32, pcap::BpfProgram)>,
}

impl OfflineFilter {
    /// Compile `expr` for `first_link` now so that a bad expression fails before any output.
    pub fn new(expr: &str, first_link: u32) -> Result<OfflineFilter, CaptureError> {
        let mut f = OfflineFilter {
            expr: expr.to_string(),
            programs: Vec::new(),
        };
        f.program_for(first_link)?;
        Ok(f)
    }

    /// Check that `expr` compiles (for Ethernet), with libpcap's message when it does not.
    pub fn check(expr: &str) -> Result<(), CaptureError> {
        OfflineFilter::new(expr, super::linktype::ETHERNET).map(|_| ())
    }

    fn program_for(&mut self, link: u32) -> Result<&pcap::BpfProgram, CaptureError> {
        if let Some(i) = self.programs.iter().position(|(l, _)| *l == link) {
            return Ok(&self.programs[i].1);
        }
        let dead = pcap::Capture::dead(pcap::Linktype(link as i32)).map_err(|e| {
            CaptureError::BadFilter {
                expr: self.expr.clone(),
                msg: e.to_string(),
            }
        })?;
        let prog = dead
            .compile(&self.expr, true)
            .map_err(|e| CaptureError::BadFilter {
                expr: self.expr.clone(),
                msg: clean_pcap_message(&e.to_string()),
            })?;
        self.programs.push((link, prog));
        let last = self.programs.len() - 1;
        Ok(&self.programs[last].1)
    }

    /// True when the packet passes. A link type the filter cannot be compiled for passes
    /// nothing (reported once by the caller through `Err`).
    pub fn matches(&mut self, link: u32, data: &[u8]) -> Result<bool, CaptureError> {
        let prog = self.program_for(link)?;
        Ok(prog.filter(data))
    }
}

/// libpcap's messages start with "libpcap error: " in the pcap crate's Display; keep the text.
pub fn clean_pcap_message(s: &str) -> String {
    s.trim_start_matches("libpcap error: ").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_expression_combine_with_and() {
        assert_eq!(combine(&[], ""), None);
        assert_eq!(combine(&[5683], "").as_deref(), Some("port 5683"));
        assert_eq!(
            combine(&[80, 443], "host 127.0.0.1").as_deref(),
            Some("(port 80 or port 443) and (host 127.0.0.1)")
        );
        assert_eq!(combine(&[], "tcp").as_deref(), Some("tcp"));
    }

    #[test]
    fn bad_expression_is_rejected_with_libpcap_message() {
        let e = OfflineFilter::check("tcp port")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("invalid capture filter `tcp port`"), "{e}");
    }

    #[test]
    fn compiled_filter_matches_ports() {
        // Ethernet + IPv4 + TCP 1234 -> 5683, built by hand.
        let mut pkt = vec![0u8; 14 + 20 + 20];
        pkt[12] = 0x08;
        pkt[14] = 0x45;
        pkt[16] = 0;
        pkt[17] = 40;
        pkt[23] = 6;
        pkt[34] = 0x04;
        pkt[35] = 0xd2;
        pkt[36] = 0x16;
        pkt[37] = 0x33;
        pkt[46] = 0x50;
        let mut f = OfflineFilter::new("tcp port 5683", 1).expect("compiles");
        assert!(f.matches(1, &pkt).expect("ok"));
        let mut g = OfflineFilter::new("port 80", 1).expect("compiles");
        assert!(!g.matches(1, &pkt).expect("ok"));
    }
}
