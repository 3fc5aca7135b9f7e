//! Live capture through libpcap: immediate mode, a generous kernel buffer, a short read
//! timeout so that Ctrl-C and `-c` are noticed promptly.

use super::{CaptureError, RawPacket, Timestamp};

/// Options of a live capture.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub interface: String,
    pub snaplen: i32,
    /// Kernel buffer in bytes.
    pub buffer_bytes: i32,
    pub promiscuous: bool,
    pub filter: Option<String>,
}

/// An open live capture.
pub struct LiveSource {
    name: String,
    cap: pcap::Capture<pcap::Active>,
    data: Vec<u8>,
}

/// libpcap's counters at the end of a live capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    pub received: u32,
    pub dropped: u32,
    pub if_dropped: u32,
}

/// What one read from a live capture gave.
pub enum LiveRead<'a> {
    Packet(RawPacket<'a>),
    /// The read timeout passed without a packet (check for Ctrl-C, then read again).
    Timeout,
}

impl LiveSource {
    pub fn open(opts: &LiveOptions) -> Result<LiveSource, CaptureError> {
        let name = opts.interface.clone();
        let map = |e: pcap::Error| classify_open_error(&name, e);
        let inactive = pcap::Capture::from_device(name.as_str()).map_err(map)?;
        let cap = inactive
            .immediate_mode(true)
            .timeout(100)
            .snaplen(opts.snaplen)
            .buffer_size(opts.buffer_bytes)
            .promisc(opts.promiscuous)
            .open()
            .map_err(map)?;
        // Non-blocking reads: the read timeout is not honoured everywhere (gVisor, some
        // kernels with TPACKET_V3), and a blocked read would not notice Ctrl-C.
        let cap = cap.setnonblock().map_err(map)?;
        let mut src = LiveSource { name: name.clone(), cap, data: Vec::new() };
        if let Some(expr) = &opts.filter {
            src.cap.filter(expr, true).map_err(|e| CaptureError::BadFilter {
                expr: expr.clone(),
                msg: super::filter::clean_pcap_message(&e.to_string()),
            })?;
        }
        Ok(src)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn link(&self) -> u32 {
        self.cap.get_datalink().0 as u32
    }

    /// Read one packet or time out.
    pub fn next_packet(&mut self) -> Result<LiveRead<'_>, CaptureError> {
        let link = self.link();
        match self.cap.next_packet() {
            Ok(p) => {
                self.data.clear();
                self.data.extend_from_slice(p.data);
                let ts = Timestamp::new(p.header.ts.tv_sec, (p.header.ts.tv_usec.clamp(0, 999_999) as u32) * 1000);
                Ok(LiveRead::Packet(RawPacket { ts, len: p.header.len, link, interface: 0, data: &self.data }))
            }
            Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => {
                // Nothing waiting: pause briefly (the kernel buffer keeps what arrives).
                std::thread::sleep(std::time::Duration::from_millis(2));
                Ok(LiveRead::Timeout)
            }
            Err(e) => Err(CaptureError::Live { name: self.name.clone(), msg: e.to_string() }),
        }
    }

    pub fn stats(&mut self) -> Option<LiveStats> {
        self.cap
            .stats()
            .ok()
            .map(|s| LiveStats { received: s.received, dropped: s.dropped, if_dropped: s.if_dropped })
    }

    /// A savefile (pcap) for `-w`, with this capture's link type and snaplen.
    pub fn savefile(&self, path: &std::path::Path) -> Result<pcap::Savefile, CaptureError> {
        self.cap
            .savefile(path)
            .map_err(|e| CaptureError::Write { path: path.to_path_buf(), msg: e.to_string() })
    }
}

fn classify_open_error(name: &str, e: pcap::Error) -> CaptureError {
    let msg = e.to_string();
    let lower = msg.to_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        CaptureError::Permission { name: name.to_string() }
    } else if lower.contains("no such device") || lower.contains("doesn't exist") || lower.contains("no such interface") {
        CaptureError::NoSuchInterface { name: name.to_string() }
    } else {
        CaptureError::Live { name: name.to_string(), msg: super::filter::clean_pcap_message(&msg) }
    }
}

/// Lines for `-D`, like tcpdump: `1.eth0 [Up, Running, Connected]`.
pub fn list_interfaces() -> Result<Vec<String>, CaptureError> {
    let devs = pcap::Device::list().map_err(|e| CaptureError::Live { name: "-D".into(), msg: e.to_string() })?;
    Ok(devs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut flags = Vec::new();
            if d.flags.is_up() {
                flags.push("Up");
            }
            if d.flags.is_running() {
                flags.push("Running");
            }
            if d.flags.is_wireless() {
                flags.push("Wireless");
            }
            if d.flags.is_loopback() {
                flags.push("Loopback");
            }
            match d.flags.connection_status {
                pcap::ConnectionStatus::Connected => flags.push("Connected"),
                pcap::ConnectionStatus::Disconnected => flags.push("Disconnected"),
                _ => {}
            }
            let desc = d.desc.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
            format!("{}.{}{} [{}]", i + 1, d.name, desc, flags.join(", "))
        })
        .collect())
}
