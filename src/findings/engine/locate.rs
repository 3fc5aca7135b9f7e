//! Reassembled stream data to findings: the secret scan across segment boundaries, and
//! each hit mapped back to the frames (and the bytes in them) that carried it; other copies
//! of retransmitted bytes are searched too.

use super::*;

impl Analyzer {
    /// A reassembler event. Data carries the frame and the offset in it of its first byte,
    /// so a hit is located in the frames that carried it by stream offset alone.
    pub fn stream_event(
        &mut self,
        ev: &StreamEvent<'_>,
        proto_at_close: Option<Option<&'static Protocol>>,
    ) {
        match ev {
            StreamEvent::Open { stream, .. } => {
                self.streams.insert(*stream, Box::default());
                self.report.tcp_streams += 1;
            }
            StreamEvent::Data {
                stream,
                dir,
                offset,
                data,
                frame,
                frame_offset,
            } => {
                let secrets_on = !self.cfg.secrets.is_empty();
                let max_pat = self.cfg.secrets.max_pattern_len() as u64;
                let Some(st) = self.streams.get_mut(stream) else {
                    return;
                };
                let ds = &mut st.dirs[dir.index()];
                ds.bytes += data.len() as u64;
                if ds.sample.len() < SAMPLE {
                    let take = (SAMPLE - ds.sample.len()).min(data.len());
                    ds.sample
                        .extend_from_slice(data.get(..take).unwrap_or_default());
                }
                if !secrets_on {
                    return;
                }
                ds.chunks.push(Chunk {
                    offset: *offset,
                    len: data.len() as u64,
                    frame: *frame,
                    frame_offset: *frame_offset,
                });
                // Keep the new chunk plus just enough older ones to hold the longest
                // pattern's start: a match ending in the new bytes can begin up to
                // `max_pat - 1` bytes before them, however long the new chunk is.
                let mut covered = 0u64;
                let mut keep_from = ds.chunks.len().saturating_sub(1);
                while keep_from > 0 && covered < max_pat.saturating_sub(1) {
                    keep_from -= 1;
                    covered += ds.chunks.get(keep_from).map_or(0, |c| c.len);
                }
                if keep_from > 0 {
                    ds.chunks.drain(..keep_from);
                }
                let hits = ds.scanner.feed(&self.cfg.secrets, *offset, data, *frame);
                if hits.is_empty() {
                    return;
                }
                let chunks = ds.chunks.clone();
                for h in hits {
                    let f = h.finding(&self.cfg.secrets, *stream, Transport::Clear);
                    let dirname = dir_label(*dir);
                    let frames: Vec<String> = h.frames.iter().map(|f| f.to_string()).collect();
                    self.secret_seen(
                        h.secret_index,
                        h.frames.last().copied().unwrap_or(self.current_frame),
                        format!(
                            "stream {stream} {dirname} frame {} stream offset {} (tcp stream, {})",
                            frames.join("+"),
                            h.range.start,
                            h.variant.label()
                        ),
                    );
                    for c in &chunks {
                        let s = h.range.start.max(c.offset);
                        let e = h.range.end.min(c.offset + c.len);
                        if s < e {
                            let r = c.frame_offset + (s - c.offset) as usize
                                ..c.frame_offset + (e - c.offset) as usize;
                            if c.frame == self.current_frame {
                                self.current.push(r);
                            } else {
                                self.earlier.entry(c.frame).or_default().push(r);
                            }
                        }
                    }
                    let f = f
                        .detail("layer", "tcp stream")
                        .detail("direction", dirname)
                        .detail("stream_offset", h.range.start.to_string());
                    let frames = f.frames.clone();
                    self.push(f, Some(*stream), &frames);
                }
            }
            StreamEvent::Hole { stream, dir, .. } => {
                if let Some(st) = self.streams.get_mut(stream) {
                    st.dirs[dir.index()].scanner.hole();
                    st.dirs[dir.index()].chunks.clear();
                }
            }
            StreamEvent::Note {
                stream,
                dir: Some(dir),
                note,
                frame,
            } => {
                if let Some((offset, copy)) = note.other_copy() {
                    self.other_copy(*stream, *dir, offset, copy, *frame);
                }
            }
            StreamEvent::Close { stream, summary } => {
                let st = self.streams.remove(stream).unwrap_or_default();
                self.close_stream(st, summary, proto_at_close.flatten());
            }
            _ => {}
        }
    }

    /// Another copy of stream bytes (a retransmission that differs from the copy kept, or
    /// that could not be compared): an eavesdropper saw it too, so it is searched for
    /// secrets and for credentials in any header lines it carries.
    fn other_copy(
        &mut self,
        stream: StreamId,
        dir: Direction,
        offset: u64,
        copy: &[u8],
        frame: u64,
    ) {
        let dirname = dir_label(dir);
        let seen = SeenCopy {
            stream: Some(stream),
            direction: Some(dirname),
            layer: "tcp retransmission (other copy)",
            place: format!("stream {stream} {dirname} frame {frame} stream offset"),
            offset_name: "stream_offset",
            frames: vec![frame],
        };
        self.search_copy(&seen, offset, copy);
    }

    /// Bytes an eavesdropper saw that no stream or frame search reads (another copy of
    /// stream bytes, IP fragments that never made a datagram): searched for the secrets
    /// and for credentials in any header lines they carry. `offset` is where `copy` starts
    /// in what `seen` names.
    pub(super) fn search_copy(&mut self, seen: &SeenCopy, offset: u64, copy: &[u8]) {
        let frame = seen.frames.last().copied().unwrap_or(self.current_frame);
        for hit in self.cfg.secrets.find_in(copy) {
            let matched = copy.get(hit.range.clone()).unwrap_or_default();
            let at = offset.saturating_add(hit.range.start as u64);
            let place = format!(
                "{} {at} ({}, {})",
                seen.place,
                seen.layer,
                hit.variant.label()
            );
            let mut f = self
                .clear_secret(&hit, matched, frame, place)
                .detail("layer", seen.layer);
            if let Some(d) = seen.direction {
                f = f.detail("direction", d);
            }
            let f = f.detail(seen.offset_name, at.to_string());
            self.push(f, seen.stream, &seen.frames);
        }
        let piece = HeadPiece::of(copy);
        if piece.headers.is_empty() {
            return;
        }
        for f in request_credentials(
            &piece.method,
            &piece.uri,
            &piece.headers,
            piece.body,
            None,
            Transport::Clear,
        ) {
            self.push(f.detail("layer", seen.layer), seen.stream, &seen.frames);
        }
    }
}

/// Where bytes searched by [`Analyzer::search_copy`] were seen, for its findings.
pub(super) struct SeenCopy {
    pub stream: Option<StreamId>,
    pub direction: Option<&'static str>,
    /// The `layer` detail.
    pub layer: &'static str,
    /// The location's words before the offset (`stream 3 client→server frame 7 stream
    /// offset`).
    pub place: String,
    /// The offset's detail name.
    pub offset_name: &'static str,
    pub frames: Vec<u64>,
}

/// The header lines (`Name: value`) in a piece of an HTTP head, with the request line's
/// method and target when the piece starts with one, and what follows a blank line.
struct HeadPiece<'a> {
    method: String,
    uri: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: &'a [u8],
}

impl<'a> HeadPiece<'a> {
    fn of(bytes: &'a [u8]) -> HeadPiece<'a> {
        let (head, body) = match memchr::memmem::find(bytes, b"\r\n\r\n") {
            Some(i) => (
                bytes.get(..i).unwrap_or_default(),
                bytes.get(i + 4..).unwrap_or_default(),
            ),
            None => (bytes, &[][..]),
        };
        let mut method = String::new();
        let mut uri = Vec::new();
        let mut headers = Vec::new();
        for (i, line) in head.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(colon) = line.iter().position(|&b| b == b':') {
                let name = line.get(..colon).unwrap_or_default();
                if !name.is_empty() && name.iter().all(|b| b.is_ascii_graphic()) {
                    let value = line.get(colon + 1..).unwrap_or_default().trim_ascii();
                    headers.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
                    continue;
                }
            }
            if i == 0 {
                let mut parts = line.split(|&b| b == b' ');
                if let (Some(m), Some(u)) = (parts.next(), parts.next()) {
                    if !m.is_empty() && m.iter().all(|b| b.is_ascii_uppercase()) {
                        method = String::from_utf8_lossy(m).into_owned();
                        uri = u.to_vec();
                    }
                }
            }
        }
        HeadPiece {
            method,
            uri,
            headers,
            body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::secrets::SecretSet;
    use crate::flow::Endpoint;

    fn data<'a>(offset: u64, data: &'a [u8], frame: u64, frame_offset: usize) -> StreamEvent<'a> {
        StreamEvent::Data {
            stream: 0,
            dir: Direction::ToServer,
            offset,
            data,
            frame,
            frame_offset,
        }
    }

    /// A secret split over bytes buffered from an earlier frame and bytes of the current
    /// one is highlighted in both frames, each at the bytes that frame carried.
    #[test]
    fn hits_are_located_by_stream_offset_in_the_frames_that_carried_them() {
        let secrets = SecretSet::new(["hunter22"]).expect("a valid secret");
        let mut a = Analyzer::new(FindingsConfig {
            secrets,
            ..FindingsConfig::default()
        });
        let ep = |port| Endpoint {
            addr: std::net::IpAddr::from([10, 0, 0, 1]),
            port,
        };
        let ts = Timestamp::new(1, 0);
        a.begin_frame(1, ts, 60);
        let open = StreamEvent::Open {
            stream: 0,
            client: ep(40000),
            server: ep(80),
            frame: 1,
            ts,
        };
        a.stream_event(&open, None);
        // Frame 7 fills the gap before the bytes frame 5 carried ("ter22yy" at 66 in it):
        // its own "xxhun" (at 60 in it) is delivered first, then frame 5's.
        a.begin_frame(7, ts, 80);
        a.stream_event(&data(0, b"xxhun", 7, 60), None);
        a.stream_event(&data(5, b"ter22yy", 5, 66), None);
        // "hun" is bytes 62..65 of frame 7; "ter22" bytes 66..71 of frame 5.
        let current: Vec<(usize, usize)> =
            a.highlights().iter().map(|r| (r.start, r.end)).collect();
        assert_eq!(current, vec![(62, 65)]);
        let earlier: Vec<(u64, usize, usize)> = a
            .take_earlier_highlights()
            .into_iter()
            .flat_map(|(f, rs)| rs.into_iter().map(move |r| (f, r.start, r.end)))
            .collect();
        assert_eq!(earlier, vec![(5, 66, 71)]);
        let found = a.take_findings();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].frames, vec![5, 7]);
    }
}
