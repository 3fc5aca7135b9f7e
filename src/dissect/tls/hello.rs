//! ClientHello (TLS and SSLv2-compatible), ServerHello and HelloRetryRequest, with their
//! extensions decoded.
//!
//! tls-parser splits the messages and decodes most extensions; the few it leaves opaque
//! (key_share entries, pre_shared_key identities, compress_certificate,
//! application_settings, encrypted_client_hello) are read here with nom's complete parsers
//! on the extension's own bytes, so a short or lying length never reads past it.

use tls_parser::nom::bytes::complete::take;
use tls_parser::nom::multi::{length_data, many0};
use tls_parser::nom::number::complete::{be_u16, be_u32, be_u8};
use tls_parser::nom::IResult;
use tls_parser::{parse_tls_extension, parse_tls_extension_unknown, TlsExtension};

use super::fingerprint::{self, ClientFingerprintInput};
use super::names::{
    cert_compression_name, cipher_suite_name, ec_point_format_name, extension_name, group_name,
    is_grease, psk_mode_name, signature_scheme_name, sslv2_cipher_name, version_name,
};
use crate::present::escape::{escape_bytes, escape_truncated};
use crate::present::tree::TreeNode;
use std::sync::OnceLock;

/// SHA-256("HelloRetryRequest"): the fixed ServerHello random that marks an HRR (RFC 8446).
pub const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The encrypted_client_hello extension (draft-ietf-tls-esni).
pub const ECH_EXTENSION: u16 = 0xfe0d;

/// Longest hex shown for opaque data in the tree.
const HEX_SHOWN: usize = 36;

fn hex_short(b: &[u8]) -> String {
    let mut s = hex::encode(b.get(..HEX_SHOWN).unwrap_or(b));
    if b.len() > HEX_SHOWN {
        s.push('…');
    }
    s
}

/// One extension as seen on the wire. Its tree lines are decoded the first time the tree is
/// shown (`-V`, HTML); the values the events, findings and fingerprints use are read when the
/// hello is decoded ([`ExtensionValues`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    pub id: u16,
    pub len: usize,
    /// The extension as on the wire: type, length, data.
    raw: Vec<u8>,
    /// In a ServerHello or HelloRetryRequest (the key_share shapes differ).
    server: bool,
    /// The extension's tree lines, made when first shown.
    shown: Derived<Shown>,
}

/// An extension's content as tree lines (escaped), and whether it did not parse as its type
/// says.
#[derive(Debug, Clone, Default)]
struct Shown {
    lines: Vec<TreeNode>,
    malformed: bool,
}

/// A value made on first use from its owner's other fields (a pure function of them), so two
/// owners compare equal whether or not either has made it yet.
#[derive(Debug, Clone)]
struct Derived<T>(OnceLock<T>);

impl<T> Default for Derived<T> {
    fn default() -> Self {
        Derived(OnceLock::new())
    }
}

impl<T> PartialEq for Derived<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Extension {
    fn shown(&self) -> &Shown {
        self.shown.0.get_or_init(|| {
            let mut shown = Shown::default();
            let data = self.raw.get(4..).unwrap_or_default();
            let mut unused = ExtensionValues::default();
            decode_one(
                self.id,
                &mut shown,
                &mut unused,
                &self.raw,
                data,
                self.server,
            );
            shown
        })
    }

    /// Display name: IANA name, or `Unknown type N`.
    pub fn name(&self) -> String {
        match extension_name(self.id) {
            Some(n) => n.to_string(),
            None => format!("Unknown type {}", self.id),
        }
    }

    pub fn tree(&self) -> TreeNode {
        let mut n = TreeNode::new(format!("Extension: {} (len={})", self.name(), self.len));
        let type_name = extension_name(self.id).unwrap_or("Unknown");
        n.leaf(format!("Type: {type_name} ({})", self.id));
        n.leaf(format!("Length: {}", self.len));
        let shown = self.shown();
        n.children.extend(shown.lines.iter().cloned());
        if shown.malformed {
            n.leaf("[Malformed extension]");
        }
        n
    }
}

/// Values pulled out of the extensions that the events and fingerprints use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtensionValues {
    pub sni: Option<Vec<u8>>,
    pub alpn: Vec<Vec<u8>>,
    pub supported_versions: Vec<u16>,
    pub groups: Vec<u16>,
    pub point_formats: Vec<u8>,
    pub key_share_groups: Vec<u16>,
    pub signature_algorithms: Vec<u16>,
    pub psk_modes: Vec<u8>,
    pub has_sni_ext: bool,
    /// The SessionTicket extension's ticket (ClientHello; TLS ≤ 1.2 resumption).
    pub session_ticket: Option<Vec<u8>>,
}

fn group_line(g: u16) -> String {
    format!("{} (0x{g:04x})", group_name(g))
}

fn u16_list(i: &[u8]) -> IResult<&[u8], Vec<u16>> {
    many0(be_u16)(i)
}

fn key_share_entry(i: &[u8]) -> IResult<&[u8], (u16, &[u8])> {
    let (i, g) = be_u16(i)?;
    let (i, kx) = length_data(be_u16)(i)?;
    Ok((i, (g, kx)))
}

fn key_share_node(g: u16, kx: &[u8]) -> TreeNode {
    let mut n = TreeNode::new(format!(
        "Key Share Entry: Group: {}, Key Exchange length: {}",
        group_name(g),
        kx.len()
    ));
    n.leaf(format!("Group: {} ({g})", group_name(g)));
    n.leaf(format!("Key Exchange Length: {}", kx.len()));
    n.leaf(format!("Key Exchange: {}", hex_short(kx)));
    n
}

/// Client key_share: a list of entries.
fn client_key_shares(i: &[u8]) -> IResult<&[u8], Vec<(u16, &[u8])>> {
    let (i, list) = length_data(be_u16)(i)?;
    let (_, v) = many0(key_share_entry)(list)?;
    Ok((i, v))
}

fn psk_identity(x: &[u8]) -> IResult<&[u8], (usize, u32)> {
    let (x, id) = length_data(be_u16)(x)?;
    let (x, age) = be_u32(x)?;
    Ok((x, (id.len(), age)))
}

/// PSK identities (length, obfuscated age) and the binders length.
type PskList = (Vec<(usize, u32)>, usize);

fn psk_identities(i: &[u8]) -> IResult<&[u8], PskList> {
    let (i, ids) = length_data(be_u16)(i)?;
    let (_, v) = many0(psk_identity)(ids)?;
    let (i, binders) = length_data(be_u16)(i)?;
    Ok((i, (v, binders.len())))
}

fn alps(i: &[u8]) -> IResult<&[u8], Vec<&[u8]>> {
    let (i, list) = length_data(be_u16)(i)?;
    let (_, v) = many0(length_data(be_u8))(list)?;
    Ok((i, v))
}

/// ECH outer: type, KDF, AEAD, config id, enc length, payload length.
type EchOuter = (u8, u16, u16, u8, usize, usize);

fn ech_outer(i: &[u8]) -> IResult<&[u8], EchOuter> {
    let (i, t) = be_u8(i)?;
    let (i, kdf) = be_u16(i)?;
    let (i, aead) = be_u16(i)?;
    let (i, cfg) = be_u8(i)?;
    let (i, enc) = length_data(be_u16)(i)?;
    let (i, payload) = length_data(be_u16)(i)?;
    Ok((i, (t, kdf, aead, cfg, enc.len(), payload.len())))
}

/// Decode the extension block of a hello. `server` selects the ServerHello/HRR shapes of
/// key_share. Never fails: what does not parse is kept as an opaque or malformed extension.
pub fn decode_extensions(block: &[u8], server: bool) -> (Vec<Extension>, ExtensionValues, bool) {
    let mut exts = Vec::new();
    let mut vals = ExtensionValues::default();
    let mut rest = block;
    let mut truncated = false;
    while !rest.is_empty() {
        let Ok((after, TlsExtension::Unknown(ty, data))) = parse_tls_extension_unknown(rest) else {
            truncated = true;
            break;
        };
        let used = rest.len().saturating_sub(after.len());
        let raw = rest.get(..used).unwrap_or(&[]);
        rest = after;
        let id = ty.0;
        read_values(id, &mut vals, raw, server);
        exts.push(Extension {
            id,
            len: data.len(),
            raw: raw.to_vec(),
            server,
            shown: Derived::default(),
        });
    }
    (exts, vals, truncated)
}

/// The values of one extension that the events, findings and fingerprints use: what
/// [`decode_one`] puts in `vals`, without building the tree lines.
fn read_values(id: u16, vals: &mut ExtensionValues, raw: &[u8], server: bool) {
    if is_grease(id) {
        return;
    }
    let Ok((_, parsed)) = parse_tls_extension(raw) else {
        return;
    };
    match parsed {
        TlsExtension::SNI(names) => {
            vals.has_sni_ext = true;
            if vals.sni.is_none() {
                vals.sni = names
                    .iter()
                    .find(|(t, _)| t.0 == 0)
                    .map(|(_, n)| n.to_vec());
            }
        }
        TlsExtension::EllipticCurves(groups) => vals.groups.extend(groups.iter().map(|g| g.0)),
        TlsExtension::EcPointFormats(f) => vals.point_formats.extend_from_slice(f),
        TlsExtension::SignatureAlgorithms(algs) => {
            vals.signature_algorithms.extend_from_slice(&algs)
        }
        TlsExtension::SessionTicket(t) if !server && !t.is_empty() => {
            vals.session_ticket = Some(t.to_vec());
        }
        TlsExtension::KeyShare(ks) | TlsExtension::KeyShareOld(ks) => {
            if !server {
                if let Ok((_, entries)) = client_key_shares(ks) {
                    vals.key_share_groups
                        .extend(entries.iter().map(|(g, _)| *g));
                }
            } else if ks.len() == 2 {
                if let Ok((_, g)) = be_u16::<_, tls_parser::nom::error::Error<&[u8]>>(ks) {
                    vals.key_share_groups.push(g);
                }
            } else if let Ok((_, (g, _))) = key_share_entry(ks) {
                vals.key_share_groups.push(g);
            }
        }
        TlsExtension::SupportedVersions(vs) => {
            vals.supported_versions.extend(vs.iter().map(|v| v.0))
        }
        TlsExtension::PskExchangeModes(modes) => vals.psk_modes.extend(modes),
        TlsExtension::ALPN(protos) => vals.alpn.extend(protos.iter().map(|p| p.to_vec())),
        _ => {}
    }
}

/// The tree lines of one extension (and, into `vals`, the values [`read_values`] reads).
fn decode_one(
    id: u16,
    ext: &mut Shown,
    vals: &mut ExtensionValues,
    raw: &[u8],
    data: &[u8],
    server: bool,
) {
    let lines = &mut ext.lines;
    if is_grease(id) {
        lines.push(TreeNode::new(format!("Data: {}", hex_short(data))));
        return;
    }
    let parsed = parse_tls_extension(raw).map(|(_, e)| e);
    let parsed = match parsed {
        Ok(e) => e,
        Err(_) => {
            ext.malformed = true;
            lines.push(TreeNode::new(format!("Data: {}", hex_short(data))));
            return;
        }
    };
    match parsed {
        TlsExtension::SNI(names) => {
            vals.has_sni_ext = true;
            for (t, name) in names {
                if t.0 == 0 {
                    lines.push(TreeNode::new("Server Name Type: host_name (0)"));
                    lines.push(TreeNode::new(format!("Server Name length: {}", name.len())));
                    lines.push(TreeNode::new(format!(
                        "Server Name: {}",
                        escape_truncated(name, 512)
                    )));
                    if vals.sni.is_none() {
                        vals.sni = Some(name.to_vec());
                    }
                } else {
                    lines.push(TreeNode::new(format!(
                        "Server Name Type: Unknown ({})",
                        t.0
                    )));
                }
            }
        }
        TlsExtension::MaxFragmentLength(v) => {
            lines.push(TreeNode::new(format!("Maximum Fragment Length: {v}")))
        }
        TlsExtension::StatusRequest(r) => match r {
            Some((t, req)) => {
                let name = if t.0 == 1 { "OCSP" } else { "Unknown" };
                lines.push(TreeNode::new(format!(
                    "Certificate Status Type: {name} ({})",
                    t.0
                )));
                lines.push(TreeNode::new(format!("Request Length: {}", req.len())));
            }
            None => lines.push(TreeNode::new("Data (0 bytes)")),
        },
        TlsExtension::EllipticCurves(groups) => {
            let mut n = TreeNode::new(format!("Supported Groups ({} groups)", groups.len()));
            for g in groups {
                n.leaf(format!("Supported Group: {}", group_line(g.0)));
                vals.groups.push(g.0);
            }
            lines.push(n);
        }
        TlsExtension::EcPointFormats(f) => {
            let mut n = TreeNode::new(format!("Elliptic curves point formats ({})", f.len()));
            for &p in f {
                n.leaf(format!(
                    "EC point format: {} ({p})",
                    ec_point_format_name(p)
                ));
            }
            vals.point_formats.extend_from_slice(f);
            lines.push(n);
        }
        TlsExtension::SignatureAlgorithms(algs) => {
            let mut n = TreeNode::new(format!(
                "Signature Hash Algorithms ({} algorithms)",
                algs.len()
            ));
            for a in &algs {
                n.leaf(format!(
                    "Signature Algorithm: {} (0x{a:04x})",
                    signature_scheme_name(*a)
                ));
            }
            vals.signature_algorithms.extend_from_slice(&algs);
            lines.push(n);
        }
        TlsExtension::RecordSizeLimit(l) => {
            lines.push(TreeNode::new(format!("Record Size Limit: {l}")))
        }
        TlsExtension::SessionTicket(t) => {
            lines.push(TreeNode::new(format!("Data ({} bytes)", t.len())));
            if !server && !t.is_empty() {
                vals.session_ticket = Some(t.to_vec());
            }
        }
        TlsExtension::KeyShare(ks) | TlsExtension::KeyShareOld(ks) => {
            decode_key_share(lines, vals, ks, server)
        }
        TlsExtension::PreSharedKey(p) => {
            if server {
                match be_u16::<_, tls_parser::nom::error::Error<&[u8]>>(p) {
                    Ok((_, sel)) => lines.push(TreeNode::new(format!("Selected Identity: {sel}"))),
                    Err(_) => ext.malformed = true,
                }
            } else {
                match psk_identities(p) {
                    Ok((_, (ids, binders))) => {
                        let mut n = TreeNode::new(format!("Identities ({})", ids.len()));
                        for (len, age) in ids {
                            n.leaf(format!(
                                "PSK Identity (length: {len}, obfuscated ticket age: {age})"
                            ));
                        }
                        lines.push(n);
                        lines.push(TreeNode::new(format!("PSK Binders length: {binders}")));
                    }
                    Err(_) => ext.malformed = true,
                }
            }
        }
        TlsExtension::EarlyData(max) => {
            if let Some(m) = max {
                lines.push(TreeNode::new(format!("Maximum Early Data Size: {m}")));
            }
        }
        TlsExtension::SupportedVersions(vs) => {
            for v in vs {
                lines.push(TreeNode::new(format!(
                    "Supported Version: {} (0x{:04x})",
                    version_name(v.0),
                    v.0
                )));
                vals.supported_versions.push(v.0);
            }
        }
        TlsExtension::Cookie(c) => lines.push(TreeNode::new(format!("Cookie Length: {}", c.len()))),
        TlsExtension::PskExchangeModes(modes) => {
            for m in modes {
                lines.push(TreeNode::new(format!(
                    "PSK Key Exchange Mode: {} ({m})",
                    psk_mode_name(m)
                )));
                vals.psk_modes.push(m);
            }
        }
        TlsExtension::Heartbeat(mode) => {
            let name = match mode {
                1 => "Peer allowed to send requests",
                2 => "Peer not allowed to send requests",
                _ => "Unknown",
            };
            lines.push(TreeNode::new(format!("Mode: {name} ({mode})")));
        }
        TlsExtension::ALPN(protos) => {
            let list_len: usize = protos.iter().map(|p| 1 + p.len()).sum();
            lines.push(TreeNode::new(format!("ALPN Extension Length: {list_len}")));
            let mut n = TreeNode::new("ALPN Protocol");
            for p in protos {
                n.leaf(format!("ALPN string length: {}", p.len()));
                n.leaf(format!("ALPN Next Protocol: {}", escape_truncated(p, 255)));
                vals.alpn.push(p.to_vec());
            }
            lines.push(n);
        }
        TlsExtension::SignedCertificateTimestamp(s) => {
            if let Some(s) = s {
                lines.push(TreeNode::new(format!("Data ({} bytes)", s.len())));
            }
        }
        TlsExtension::Padding(p) => {
            lines.push(TreeNode::new(format!("Padding Data ({} bytes)", p.len())))
        }
        TlsExtension::RenegotiationInfo(r) => lines.push(TreeNode::new(format!(
            "Renegotiation info extension length: {}",
            r.len()
        ))),
        TlsExtension::EncryptedServerName {
            ciphersuite,
            group,
            encrypted_sni,
            ..
        } => {
            lines.push(TreeNode::new(format!(
                "Cipher Suite: {} (0x{:04x})",
                cipher_suite_name(ciphersuite.0),
                ciphersuite.0
            )));
            lines.push(TreeNode::new(format!("Group: {}", group_line(group.0))));
            lines.push(TreeNode::new(format!(
                "Encrypted SNI length: {}",
                encrypted_sni.len()
            )));
        }
        TlsExtension::OidFilters(f) => {
            lines.push(TreeNode::new(format!("OID Filters ({})", f.len())))
        }
        TlsExtension::EncryptThenMac
        | TlsExtension::ExtendedMasterSecret
        | TlsExtension::PostHandshakeAuth
        | TlsExtension::NextProtocolNegotiation => {}
        TlsExtension::Grease(_, d) => lines.push(TreeNode::new(format!("Data: {}", hex_short(d)))),
        TlsExtension::Unknown(_, d) => decode_opaque(id, ext, vals, d),
    }
}

fn decode_key_share(
    lines: &mut Vec<TreeNode>,
    vals: &mut ExtensionValues,
    ks: &[u8],
    server: bool,
) {
    if server {
        if ks.len() == 2 {
            // HelloRetryRequest: the selected group only.
            if let Ok((_, g)) = be_u16::<_, tls_parser::nom::error::Error<&[u8]>>(ks) {
                lines.push(TreeNode::new(format!("Selected Group: {}", group_line(g))));
                vals.key_share_groups.push(g);
            }
        } else if let Ok((_, (g, kx))) = key_share_entry(ks) {
            lines.push(key_share_node(g, kx));
            vals.key_share_groups.push(g);
        } else {
            lines.push(TreeNode::new("[Malformed key share]"));
        }
        return;
    }
    match client_key_shares(ks) {
        Ok((_, entries)) => {
            let mut n = TreeNode::new(format!("Key Share extension ({} entries)", entries.len()));
            for (g, kx) in entries {
                n.child(key_share_node(g, kx));
                vals.key_share_groups.push(g);
            }
            lines.push(n);
        }
        Err(_) => lines.push(TreeNode::new("[Malformed key share]")),
    }
}

/// Extensions tls-parser keeps opaque.
fn decode_opaque(id: u16, ext: &mut Shown, vals: &mut ExtensionValues, d: &[u8]) {
    type E<'a> = tls_parser::nom::error::Error<&'a [u8]>;
    let lines = &mut ext.lines;
    match id {
        27 => match length_data::<_, _, E<'_>, _>(be_u8)(d) {
            Ok((_, algs)) => {
                let (_, v) = u16_list(algs).unwrap_or((&[], Vec::new()));
                for a in v {
                    lines.push(TreeNode::new(format!(
                        "Algorithm: {} ({a})",
                        cert_compression_name(a)
                    )));
                }
            }
            Err(_) => ext.malformed = true,
        },
        17513 | 17613 => match alps(d) {
            Ok((_, protos)) => {
                let mut n = TreeNode::new("Supported ALPN List");
                for p in protos {
                    n.leaf(format!("Supported ALPN: {}", escape_truncated(p, 255)));
                }
                lines.push(n);
            }
            Err(_) => ext.malformed = true,
        },
        50 => match length_data::<_, _, E<'_>, _>(be_u16)(d) {
            Ok((_, list)) => {
                let (_, v) = u16_list(list).unwrap_or((&[], Vec::new()));
                let mut n = TreeNode::new(format!(
                    "Signature Hash Algorithms ({} algorithms)",
                    v.len()
                ));
                for a in v {
                    n.leaf(format!(
                        "Signature Algorithm: {} (0x{a:04x})",
                        signature_scheme_name(a)
                    ));
                }
                lines.push(n);
            }
            Err(_) => ext.malformed = true,
        },
        0xfe0d => match ech_outer(d) {
            Ok((_, (0, kdf, aead, cfg, enc, payload))) => {
                lines.push(TreeNode::new("Client Hello type: Outer Client Hello (0)"));
                lines.push(TreeNode::new(format!("KDF Id: 0x{kdf:04x}")));
                lines.push(TreeNode::new(format!("AEAD Id: 0x{aead:04x}")));
                lines.push(TreeNode::new(format!("Config Id: {cfg}")));
                lines.push(TreeNode::new(format!("Enc length: {enc}")));
                lines.push(TreeNode::new(format!("Payload length: {payload}")));
            }
            _ => lines.push(TreeNode::new(format!("Data: {}", hex_short(d)))),
        },
        _ => {
            let _ = vals;
            if !d.is_empty() {
                lines.push(TreeNode::new(format!("Data: {}", hex_short(d))));
            }
        }
    }
}

/// A ClientHello, TLS or SSLv2-compatible.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientHello {
    /// Carried in an SSLv2-format record (cipher specs are 3 bytes, no extensions).
    pub sslv2: bool,
    /// Handshake body length.
    pub length: usize,
    pub legacy_version: u16,
    /// Random (SSLv2: the challenge).
    pub random: Vec<u8>,
    pub session_id: Vec<u8>,
    /// Cipher suites in wire order (SSLv2 specs are 24-bit).
    pub cipher_suites: Vec<u32>,
    pub compression: Vec<u8>,
    pub extensions: Vec<Extension>,
    pub values: ExtensionValues,
    /// The extension block ended in the middle of an extension.
    pub extensions_truncated: bool,
    /// JA3 and JA4, computed the first time something shows them (`-V`, JSON, Parquet): a
    /// run that only counts (`-q`) never needs them.
    /// JA3/JA4, made when first asked for.
    fingerprints: Derived<Fingerprints>,
}

/// The JA3 string, its MD5 and JA4 of one ClientHello.
#[derive(Debug, Clone)]
struct Fingerprints {
    ja3_string: String,
    ja3: String,
    ja4: String,
}

impl ClientHello {
    pub fn extension_ids(&self) -> Vec<u16> {
        self.extensions.iter().map(|e| e.id).collect()
    }

    fn fingerprints(&self) -> &Fingerprints {
        self.fingerprints.0.get_or_init(|| {
            let ids = self.extension_ids();
            let input = ClientFingerprintInput {
                legacy_version: self.legacy_version,
                ciphers: &self.cipher_suites,
                extensions: &ids,
                groups: &self.values.groups,
                point_formats: &self.values.point_formats,
                supported_versions: &self.values.supported_versions,
                signature_algorithms: &self.values.signature_algorithms,
                first_alpn: self.values.alpn.first().map(|v| v.as_slice()),
                has_sni: self.values.has_sni_ext,
            };
            let ja3_string = fingerprint::ja3_string(&input);
            Fingerprints {
                ja3: fingerprint::md5_hex(&ja3_string),
                ja3_string,
                ja4: fingerprint::ja4(&input),
            }
        })
    }

    /// The JA3 string (version, ciphers, extensions, groups, point formats; GREASE left out).
    pub fn ja3_string(&self) -> &str {
        &self.fingerprints().ja3_string
    }

    /// JA3: the MD5 of [`ClientHello::ja3_string`], in hex.
    pub fn ja3(&self) -> &str {
        &self.fingerprints().ja3
    }

    /// JA4 (TCP transport).
    pub fn ja4(&self) -> &str {
        &self.fingerprints().ja4
    }

    /// Cipher suite name for an entry of `cipher_suites`.
    pub fn cipher_name(&self, c: u32) -> String {
        if self.sslv2 {
            sslv2_cipher_name(c)
        } else {
            cipher_suite_name(u16::try_from(c).unwrap_or(0))
        }
    }

    /// SNI escaped for display.
    pub fn sni_text(&self) -> Option<String> {
        self.values.sni.as_ref().map(|s| escape_truncated(s, 512))
    }

    /// JA4 for a ClientHello carried in QUIC: the same fingerprint with the `q` transport
    /// prefix instead of `t`.
    pub fn ja4_quic(&self) -> String {
        match self.ja4().strip_prefix('t') {
            Some(rest) => format!("q{rest}"),
            None => self.ja4().to_string(),
        }
    }

    /// An encrypted_client_hello extension (0xfe0d) is present.
    pub fn offers_ech(&self) -> bool {
        self.extensions.iter().any(|e| e.id == ECH_EXTENSION)
    }

    /// What an observer should understand when ECH is offered (escaped); `None` without it.
    pub fn ech_note(&self) -> Option<String> {
        if !self.offers_ech() {
            return None;
        }
        let sni = self.sni_text().unwrap_or_else(|| "none".to_string());
        Some(format!(
            "ECH offered — if real, the SNI shown ({sni}) is only the public name; the real \
             host is hidden (GREASE ECH looks the same on the wire by design)"
        ))
    }

    /// The `Handshake Protocol: Client Hello` node (escaped).
    pub fn tree(&self) -> TreeNode {
        let mut n = TreeNode::new("Handshake Protocol: Client Hello");
        n.leaf("Handshake Type: Client Hello (1)");
        n.leaf(format!("Length: {}", self.length));
        n.leaf(format!(
            "Version: {} (0x{:04x})",
            version_name(self.legacy_version),
            self.legacy_version
        ));
        if self.sslv2 {
            n.leaf(format!(
                "Cipher Spec Length: {}",
                self.cipher_suites.len() * 3
            ));
            n.leaf(format!("Session ID Length: {}", self.session_id.len()));
            n.leaf(format!("Challenge Length: {}", self.random.len()));
            let mut cs =
                TreeNode::new(format!("Cipher Specs ({} specs)", self.cipher_suites.len()));
            for &c in &self.cipher_suites {
                cs.leaf(format!("Cipher Spec: {} (0x{c:06x})", self.cipher_name(c)));
            }
            n.child(cs);
            if !self.session_id.is_empty() {
                n.leaf(format!("Session ID: {}", hex::encode(&self.session_id)));
            }
            n.leaf(format!("Challenge: {}", hex::encode(&self.random)));
        } else {
            n.leaf(format!("Random: {}", hex::encode(&self.random)));
            n.leaf(format!("Session ID Length: {}", self.session_id.len()));
            if !self.session_id.is_empty() {
                n.leaf(format!("Session ID: {}", hex::encode(&self.session_id)));
            }
            n.leaf(format!(
                "Cipher Suites Length: {}",
                self.cipher_suites.len() * 2
            ));
            let mut cs = TreeNode::new(format!(
                "Cipher Suites ({} suites)",
                self.cipher_suites.len()
            ));
            for &c in &self.cipher_suites {
                cs.leaf(format!("Cipher Suite: {} (0x{c:04x})", self.cipher_name(c)));
            }
            n.child(cs);
            n.leaf(format!(
                "Compression Methods Length: {}",
                self.compression.len()
            ));
            let mut cm = TreeNode::new(format!(
                "Compression Methods ({} method{})",
                self.compression.len(),
                if self.compression.len() == 1 { "" } else { "s" }
            ));
            for &c in &self.compression {
                let name = match c {
                    0 => "null",
                    1 => "DEFLATE",
                    _ => "Unknown",
                };
                cm.leaf(format!("Compression Method: {name} ({c})"));
            }
            n.child(cm);
            if !self.extensions.is_empty() {
                let total: usize = self.extensions.iter().map(|e| e.len + 4).sum();
                n.leaf(format!("Extensions Length: {total}"));
            }
            for e in &self.extensions {
                n.child(e.tree());
            }
            if self.extensions_truncated {
                n.leaf("[Extensions truncated]");
            }
        }
        if let Some(note) = self.ech_note() {
            n.leaf(format!("[{note}]"));
        }
        n.leaf(format!("[JA4: {}]", self.ja4()));
        n.leaf(format!("[JA3 Fullstring: {}]", self.ja3_string()));
        n.leaf(format!("[JA3: {}]", self.ja3()));
        n
    }
}

/// Decode a TLS ClientHello body (after the 4-byte handshake header).
pub fn decode_client_hello(body: &[u8]) -> Result<ClientHello, String> {
    let (_, ch) = tls_parser::parse_tls_handshake_client_hello(body)
        .map_err(|e| format!("malformed Client Hello ({e:?})"))?;
    let (extensions, values, extensions_truncated) = match ch.ext {
        Some(block) => decode_extensions(block, false),
        None => (Vec::new(), ExtensionValues::default(), false),
    };
    Ok(ClientHello {
        sslv2: false,
        length: body.len(),
        legacy_version: ch.version.0,
        random: ch.random.to_vec(),
        session_id: ch.session_id.map(|s| s.to_vec()).unwrap_or_default(),
        cipher_suites: ch.ciphers.iter().map(|c| u32::from(c.0)).collect(),
        compression: ch.comp.iter().map(|c| c.0).collect(),
        extensions,
        values,
        extensions_truncated,
        fingerprints: Derived::default(),
    })
}

/// SSLv2 hello: version, cipher specs, session id, challenge.
type Sslv2Hello<'a> = (u16, Vec<u32>, &'a [u8], &'a [u8]);

fn sslv2_body(i: &[u8]) -> IResult<&[u8], Sslv2Hello<'_>> {
    let (i, version) = be_u16(i)?;
    let (i, cs_len) = be_u16(i)?;
    let (i, sid_len) = be_u16(i)?;
    let (i, ch_len) = be_u16(i)?;
    let (i, specs) = take(cs_len)(i)?;
    let (i, sid) = take(sid_len)(i)?;
    let (i, challenge) = take(ch_len)(i)?;
    let ciphers = specs
        .chunks_exact(3)
        .map(|c| c.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
        .collect();
    Ok((i, (version, ciphers, sid, challenge)))
}

/// Decode an SSLv2-compatible ClientHello message (the bytes after the 2-byte record
/// length, starting with the message type 1).
pub fn decode_sslv2_client_hello(msg: &[u8]) -> Result<ClientHello, String> {
    let body = msg.get(1..).unwrap_or(&[]);
    let (_, (version, ciphers, sid, challenge)) =
        sslv2_body(body).map_err(|_| "malformed SSLv2 Client Hello".to_string())?;
    Ok(ClientHello {
        sslv2: true,
        length: body.len(),
        legacy_version: version,
        random: challenge.to_vec(),
        session_id: sid.to_vec(),
        cipher_suites: ciphers,
        compression: Vec::new(),
        extensions: Vec::new(),
        values: ExtensionValues::default(),
        extensions_truncated: false,
        fingerprints: Derived::default(),
    })
}

/// A ServerHello or HelloRetryRequest.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerHello {
    pub length: usize,
    /// Random equals [`HRR_RANDOM`].
    pub hello_retry_request: bool,
    pub legacy_version: u16,
    /// Negotiated version: supported_versions when present, else the legacy version.
    pub version: u16,
    pub random: Vec<u8>,
    pub session_id: Vec<u8>,
    pub cipher_suite: u16,
    pub compression: u8,
    pub extensions: Vec<Extension>,
    pub values: ExtensionValues,
    pub ja3s_string: String,
    pub ja3s: String,
}

impl ServerHello {
    /// Selected ALPN protocol, escaped.
    pub fn alpn_text(&self) -> Option<String> {
        self.values.alpn.first().map(|a| escape_bytes(a))
    }

    pub fn message_name(&self) -> &'static str {
        if self.hello_retry_request {
            "Hello Retry Request"
        } else {
            "Server Hello"
        }
    }

    /// The `Handshake Protocol: Server Hello` node (escaped).
    pub fn tree(&self) -> TreeNode {
        let mut n = TreeNode::new(format!("Handshake Protocol: {}", self.message_name()));
        n.leaf("Handshake Type: Server Hello (2)");
        n.leaf(format!("Length: {}", self.length));
        n.leaf(format!(
            "Version: {} (0x{:04x})",
            version_name(self.legacy_version),
            self.legacy_version
        ));
        n.leaf(format!("Random: {}", hex::encode(&self.random)));
        if self.hello_retry_request {
            n.leaf("[HelloRetryRequest magic random]");
        }
        n.leaf(format!("Session ID Length: {}", self.session_id.len()));
        if !self.session_id.is_empty() {
            n.leaf(format!("Session ID: {}", hex::encode(&self.session_id)));
        }
        n.leaf(format!(
            "Cipher Suite: {} (0x{:04x})",
            cipher_suite_name(self.cipher_suite),
            self.cipher_suite
        ));
        n.leaf(format!(
            "Compression Method: {} ({})",
            if self.compression == 0 {
                "null"
            } else {
                "Unknown"
            },
            self.compression
        ));
        if !self.extensions.is_empty() {
            let total: usize = self.extensions.iter().map(|e| e.len + 4).sum();
            n.leaf(format!("Extensions Length: {total}"));
        }
        for e in &self.extensions {
            n.child(e.tree());
        }
        n.leaf(format!(
            "[Negotiated Version: {} (0x{:04x})]",
            version_name(self.version),
            self.version
        ));
        n.leaf(format!("[JA3S Fullstring: {}]", self.ja3s_string));
        n.leaf(format!("[JA3S: {}]", self.ja3s));
        n
    }
}

/// Decode a ServerHello body (after the 4-byte handshake header).
pub fn decode_server_hello(body: &[u8]) -> Result<ServerHello, String> {
    let (_, sh) = tls_parser::parse_tls_handshake_server_hello(body)
        .map_err(|e| format!("malformed Server Hello ({e:?})"))?;
    let (extensions, values, _) = match sh.ext {
        Some(block) => decode_extensions(block, true),
        None => (Vec::new(), ExtensionValues::default(), false),
    };
    let version = values
        .supported_versions
        .first()
        .copied()
        .unwrap_or(sh.version.0);
    let ids: Vec<u16> = extensions.iter().map(|e| e.id).collect();
    let ja3s_string = fingerprint::ja3s_string(sh.version.0, sh.cipher.0, &ids);
    let ja3s = fingerprint::md5_hex(&ja3s_string);
    Ok(ServerHello {
        length: body.len(),
        hello_retry_request: sh.random == HRR_RANDOM,
        legacy_version: sh.version.0,
        version,
        random: sh.random.to_vec(),
        session_id: sh.session_id.map(|s| s.to_vec()).unwrap_or_default(),
        cipher_suite: sh.cipher.0,
        compression: sh.compression.0,
        extensions,
        values,
        ja3s_string,
        ja3s,
    })
}
