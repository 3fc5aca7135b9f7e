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
    /// `-y`: the link type to capture with (a name `-L` lists).
    pub link_type: Option<String>,
}

/// An open live capture.
pub struct LiveSource {
    name: String,
    cap: pcap::Capture<pcap::Active>,
    snaplen: u32,
}

/// libpcap's counters at the end of a live capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveStats {
    pub received: u32,
    pub dropped: u32,
    pub if_dropped: u32,
}

/// A packet handed from the capture thread to the decoder.
#[derive(Debug)]
pub struct OwnedPacket {
    pub ts: Timestamp,
    pub len: u32,
    pub link: u32,
    pub data: Vec<u8>,
}

/// How the capture thread ended.
#[derive(Debug, Default)]
pub struct LiveEnd {
    pub stats: Option<LiveStats>,
    pub captured: u64,
    pub written: u64,
    /// Packets dropped because the decoder fell behind (the queue was full).
    pub queue_drops: u64,
    pub error: Option<CaptureError>,
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
        // Blocking reads (like tcpdump): the thread sleeps in poll until packets arrive.
        // The read timeout is not honoured everywhere (gVisor), so Ctrl-C is delivered with
        // `pcap_breakloop` (see `breaker`), which wakes the poll on Linux libpcap ≥ 1.10.
        let mut src = LiveSource {
            name: name.clone(),
            cap,
            snaplen: u32::try_from(opts.snaplen).unwrap_or(super::writer::DEFAULT_SNAPLEN),
        };
        // The link type first: the filter is compiled for it.
        if let Some(t) = &opts.link_type {
            let lt = pcap::Linktype::from_name(t)
                .map_err(|_| CaptureError::BadLinkType { name: t.clone() })?;
            src.cap.set_datalink(lt).map_err(|e| CaptureError::Live {
                name: name.clone(),
                msg: format!(
                    "link type {t}: {} (-L lists the ones it has)",
                    super::filter::clean_pcap_message(&e.to_string())
                ),
            })?;
        }
        if let Some(expr) = &opts.filter {
            src.cap
                .filter(expr, true)
                .map_err(|e| CaptureError::BadFilter {
                    expr: expr.clone(),
                    msg: super::filter::clean_pcap_message(&e.to_string()),
                })?;
        }
        Ok(src)
    }

    /// A handle that makes a blocked read return (Ctrl-C, SIGTERM), from another thread.
    pub fn breaker(&mut self) -> pcap::BreakLoop {
        self.cap.breakloop_handle()
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
                let ts = Timestamp::new(
                    p.header.ts.tv_sec,
                    (p.header.ts.tv_usec.clamp(0, 999_999) as u32) * 1000,
                );
                Ok(LiveRead::Packet(RawPacket {
                    ts,
                    len: p.header.len,
                    link,
                    interface: 0,
                    // libpcap's own buffer: the capture thread copies it once, into the
                    // packet it queues for the decoder.
                    data: p.data,
                }))
            }
            // Timeout, or woken by `pcap_breakloop`: the caller checks its stop flag.
            Err(pcap::Error::TimeoutExpired) | Err(pcap::Error::NoMorePackets) => {
                Ok(LiveRead::Timeout)
            }
            Err(e) => Err(CaptureError::Live {
                name: self.name.clone(),
                msg: e.to_string(),
            }),
        }
    }

    pub fn stats(&mut self) -> Option<LiveStats> {
        self.cap.stats().ok().map(|s| LiveStats {
            received: s.received,
            dropped: s.dropped,
            if_dropped: s.if_dropped,
        })
    }

    /// The capture thread: read packets until `count`, one of the `stop` flags (Ctrl-C, an
    /// `-a` condition), the `-w` output's own `-a` limit or an error; write each to
    /// `-w` here (so the file keeps every captured packet whatever the decoder does); hand
    /// them to the decoder through `tx` unless `max_queued` bytes already wait, in which
    /// case the packet is dropped for display and counted in `drops`.
    #[allow(clippy::too_many_arguments)]
    pub fn capture_loop(
        &mut self,
        mut writer: Option<super::rotate::SaveFile>,
        count: Option<u64>,
        stop: [&std::sync::atomic::AtomicBool; 2],
        tx: std::sync::mpsc::SyncSender<OwnedPacket>,
        queued: &std::sync::atomic::AtomicUsize,
        drops: &std::sync::atomic::AtomicU64,
        max_queued: usize,
    ) -> LiveEnd {
        use std::sync::atomic::Ordering;
        let mut end = LiveEnd::default();
        loop {
            if stop.iter().any(|s| s.load(Ordering::Relaxed))
                || count.is_some_and(|c| end.captured >= c)
                || writer.as_ref().is_some_and(|w| w.done())
            {
                break;
            }
            match self.next_packet() {
                Ok(LiveRead::Packet(p)) => {
                    // -a files: the output ends before this packet, and so does the run.
                    if writer.as_ref().is_some_and(|w| w.ends_before(&p)) {
                        break;
                    }
                    end.captured += 1;
                    if let Some(w) = writer.as_mut() {
                        if let Err(e) = w.write(&p) {
                            end.error = Some(e);
                            break;
                        }
                    }
                    let n = p.data.len();
                    if queued.load(Ordering::Relaxed) + n > max_queued {
                        drops.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let owned = OwnedPacket {
                        ts: p.ts,
                        len: p.len,
                        link: p.link,
                        data: p.data.to_vec(),
                    };
                    queued.fetch_add(n, Ordering::Relaxed);
                    match tx.try_send(owned) {
                        Ok(()) => {}
                        Err(std::sync::mpsc::TrySendError::Full(_)) => {
                            queued.fetch_sub(n, Ordering::Relaxed);
                            drops.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(std::sync::mpsc::TrySendError::Disconnected(_)) => break,
                    }
                }
                Ok(LiveRead::Timeout) => {}
                Err(e) => {
                    end.error = Some(e);
                    break;
                }
            }
        }
        if let Some(w) = writer.as_mut() {
            if let Err(e) = w.flush() {
                end.error.get_or_insert(e);
            }
            end.written = w.written();
        }
        end.stats = self.stats();
        end.queue_drops = drops.load(Ordering::Relaxed);
        end
    }

    /// The snapshot length the capture was opened with (for the `-w` file header).
    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }
}

fn classify_open_error(name: &str, e: pcap::Error) -> CaptureError {
    let msg = e.to_string();
    let lower = msg.to_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        CaptureError::Permission {
            name: name.to_string(),
        }
    } else if lower.contains("no such device")
        || lower.contains("doesn't exist")
        || lower.contains("no such interface")
    {
        CaptureError::NoSuchInterface {
            name: name.to_string(),
        }
    } else {
        CaptureError::Live {
            name: name.to_string(),
            msg: super::filter::clean_pcap_message(&msg),
        }
    }
}

/// Lines for `-D`, like tcpdump: `1.eth0 [Up, Running, Connected]`.
pub fn list_interfaces() -> Result<Vec<String>, CaptureError> {
    let devs = pcap::Device::list().map_err(|e| CaptureError::Live {
        name: "-D".into(),
        msg: e.to_string(),
    })?;
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
            let desc = d
                .desc
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            format!("{}.{}{} [{}]", i + 1, d.name, desc, flags.join(", "))
        })
        .collect())
}

/// `-L`: the link types interface `name` can capture with, as tcpdump lists them.
pub fn list_link_types(name: &str) -> Result<Vec<String>, CaptureError> {
    let map = |e: pcap::Error| classify_open_error(name, e);
    let cap = pcap::Capture::from_device(name)
        .map_err(map)?
        .open()
        .map_err(map)?;
    let links = cap.list_datalinks().map_err(map)?;
    let mut lines = vec![format!(
        "Data link types for {name} (use option -y to set):"
    )];
    for l in links {
        let short = l.get_name().unwrap_or_else(|_| format!("DLT {}", l.0));
        match l.get_description() {
            Ok(d) => lines.push(format!("  {short} ({d})")),
            Err(_) => lines.push(format!("  {short}")),
        }
    }
    Ok(lines)
}

/// `-i N`: the name of the N-th interface `-D` lists (from 1). A name that is not all
/// digits, or an interface really called so, is kept as given.
pub fn interface_by_number(given: &str) -> Result<String, CaptureError> {
    let Ok(n) = given.parse::<usize>() else {
        return Ok(given.to_string());
    };
    let devs = pcap::Device::list().map_err(|e| CaptureError::Live {
        name: given.to_string(),
        msg: e.to_string(),
    })?;
    if devs.iter().any(|d| d.name == given) {
        return Ok(given.to_string());
    }
    n.checked_sub(1)
        .and_then(|i| devs.get(i))
        .map(|d| d.name.clone())
        .ok_or_else(|| CaptureError::NoSuchInterface {
            name: format!("{given} (-D lists {} interfaces)", devs.len()),
        })
}
