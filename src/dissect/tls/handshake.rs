//! Handshake messages other than the hellos: Certificate, ServerKeyExchange,
//! CertificateRequest, NewSessionTicket and the ones shown by name and length only.

use tls_parser::{
    parse_dh_params, parse_ecdh_params, parse_tls_handshake_certificaterequest,
    parse_tls_handshake_msg_certificate, ECParametersContent, TlsCipherKx, TlsCipherSuite,
    TlsMessageHandshake,
};

use super::cert::{self, CertSummary};
use super::hello::{decode_extensions, Extension, ExtensionValues};
use super::names::{client_cert_type_name, group_name, handshake_name, signature_scheme_name};
use crate::present::tree::TreeNode;

/// A Certificate message: in clear up to TLS 1.2, seen after decryption in TLS 1.3.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateChain {
    pub length: usize,
    /// The certificate list's declared length.
    pub list_length: usize,
    pub certificates: Vec<CertSummary>,
    /// TLS 1.3 only: the certificate_request_context and each certificate's extensions.
    pub tls13: Option<Box<Certificate13>>,
}

/// What a TLS 1.3 Certificate message adds (RFC 8446 §4.4.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate13 {
    pub context: Vec<u8>,
    /// Per certificate, in the chain's order: the extension block's declared length and
    /// its extensions.
    pub extensions: Vec<(usize, Vec<Extension>)>,
}

/// Decode a Certificate body into per-certificate summaries.
pub fn decode_certificate(body: &[u8]) -> Result<CertificateChain, String> {
    match parse_tls_handshake_msg_certificate(body) {
        Ok((_, TlsMessageHandshake::Certificate(c))) => Ok(CertificateChain {
            length: body.len(),
            list_length: body.len().saturating_sub(3),
            certificates: c
                .cert_chain
                .iter()
                .enumerate()
                .map(|(i, raw)| cert::summarize(i, raw.data))
                .collect(),
            tls13: None,
        }),
        _ => Err("malformed Certificate message".into()),
    }
}

/// Decode a TLS 1.3 Certificate body (RFC 8446 §4.4.2): a request context, then each
/// certificate followed by its extensions. Seen only once the handshake is decrypted.
pub fn decode_certificate13(body: &[u8]) -> Result<CertificateChain, String> {
    let bad = || "malformed TLS 1.3 Certificate message".to_string();
    let u24 = |b: &[u8], at: usize| -> Option<usize> {
        let [x, y, z]: [u8; 3] = b.get(at..at + 3)?.try_into().ok()?;
        Some((usize::from(x) << 16) | (usize::from(y) << 8) | usize::from(z))
    };
    let ctx_len = usize::from(*body.first().ok_or_else(bad)?);
    let context = body.get(1..1 + ctx_len).ok_or_else(bad)?.to_vec();
    let mut at = 1 + ctx_len;
    let list_len = u24(body, at).ok_or_else(bad)?;
    at += 3;
    let end = at
        .checked_add(list_len)
        .filter(|&e| e <= body.len())
        .ok_or_else(bad)?;
    let mut certificates = Vec::new();
    let mut extensions = Vec::new();
    while at < end {
        let len = u24(body, at).ok_or_else(bad)?;
        at += 3;
        let der = body.get(at..at + len).ok_or_else(bad)?;
        certificates.push(cert::summarize(certificates.len(), der));
        at += len;
        let ext: [u8; 2] = body
            .get(at..at + 2)
            .and_then(|e| e.try_into().ok())
            .ok_or_else(bad)?;
        let ext_len = usize::from(u16::from_be_bytes(ext));
        let block = body.get(at + 2..at + 2 + ext_len).ok_or_else(bad)?;
        extensions.push((ext_len, decode_extensions(block, true).0));
        at += 2 + ext_len;
    }
    if at != end {
        return Err(bad());
    }
    Ok(CertificateChain {
        length: body.len(),
        list_length: list_len,
        certificates,
        tls13: Some(Box::new(Certificate13 {
            context,
            extensions,
        })),
    })
}

impl CertificateChain {
    /// The message as tshark lays it out (request context and per-certificate extensions
    /// in TLS 1.3), each certificate's line holding our summary of it.
    pub fn tree(&self) -> TreeNode {
        let mut n = TreeNode::new("Handshake Protocol: Certificate");
        n.leaf("Handshake Type: Certificate (11)");
        n.leaf(format!("Length: {}", self.length));
        if let Some(t) = &self.tls13 {
            n.leaf(format!(
                "Certificate Request Context Length: {}",
                t.context.len()
            ));
            if !t.context.is_empty() {
                n.leaf(format!(
                    "Certificate Request Context: {}",
                    hex::encode(&t.context)
                ));
            }
        }
        n.leaf(format!("Certificates Length: {}", self.list_length));
        if self.list_length == 0 {
            return n;
        }
        let mut certs = TreeNode::new(format!("Certificates ({} bytes)", self.list_length));
        for (i, c) in self.certificates.iter().enumerate() {
            certs.leaf(format!("Certificate Length: {}", c.der_len));
            let mut line = TreeNode::new(c.tshark_line());
            line.child(c.tree());
            certs.child(line);
            if let Some((len, list)) = self.tls13.as_ref().and_then(|t| t.extensions.get(i)) {
                certs.leaf(format!("Extensions Length: {len}"));
                for x in list {
                    certs.child(x.tree());
                }
            }
        }
        n.child(certs);
        n
    }
}

/// ServerKeyExchange parameters as far as the negotiated key exchange tells how to read them.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerKeyExchange {
    pub length: usize,
    /// Named curve of ECDHE parameters.
    pub curve: Option<u16>,
    /// Bits of the DHE prime.
    pub dh_prime_bits: Option<usize>,
    /// Public value length.
    pub public_len: Option<usize>,
}

/// Decode a ServerKeyExchange body; `cipher` is the suite chosen in the ServerHello.
pub fn decode_server_key_exchange(body: &[u8], cipher: Option<u16>) -> ServerKeyExchange {
    let kx = cipher.and_then(TlsCipherSuite::from_id).map(|c| c.kx);
    let mut ske = ServerKeyExchange {
        length: body.len(),
        curve: None,
        dh_prime_bits: None,
        public_len: None,
    };
    let ec_like = matches!(kx, Some(TlsCipherKx::Ecdhe) | Some(TlsCipherKx::Ecdh))
        || (kx.is_none() && body.first() == Some(&3));
    if ec_like {
        if let Ok((_, p)) = parse_ecdh_params(body) {
            if let ECParametersContent::NamedGroup(g) = p.curve_params.params_content {
                ske.curve = Some(g.0);
            }
            ske.public_len = Some(p.public.point.len());
        }
    } else if matches!(kx, Some(TlsCipherKx::Dhe) | Some(TlsCipherKx::Dh)) {
        if let Ok((_, p)) = parse_dh_params(body) {
            let lead_zeros = p.dh_p.iter().take_while(|b| **b == 0).count();
            ske.dh_prime_bits = Some(p.dh_p.len().saturating_sub(lead_zeros).saturating_mul(8));
            ske.public_len = Some(p.dh_ys.len());
        }
    }
    ske
}

impl ServerKeyExchange {
    pub fn tree(&self) -> TreeNode {
        let mut n = TreeNode::new("Handshake Protocol: Server Key Exchange");
        n.leaf("Handshake Type: Server Key Exchange (12)");
        n.leaf(format!("Length: {}", self.length));
        if let Some(c) = self.curve {
            let mut p = TreeNode::new("EC Diffie-Hellman Server Params");
            p.leaf("Curve Type: named_curve (0x03)");
            p.leaf(format!("Named Curve: {} (0x{c:04x})", group_name(c)));
            if let Some(l) = self.public_len {
                p.leaf(format!("Pubkey Length: {l}"));
            }
            n.child(p);
        } else if let Some(bits) = self.dh_prime_bits {
            let mut p = TreeNode::new("Diffie-Hellman Server Params");
            p.leaf(format!("p Length: {} bits", bits));
            if let Some(l) = self.public_len {
                p.leaf(format!("Pubkey Length: {l}"));
            }
            n.child(p);
        }
        n
    }
}

/// CertificateRequest: what client certificates the server asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateRequest {
    pub length: usize,
    pub cert_types: Vec<u8>,
    pub signature_algorithms: Vec<u16>,
    /// Number of distinguished names of acceptable CAs.
    pub ca_names: usize,
}

pub fn decode_certificate_request(body: &[u8]) -> Option<CertificateRequest> {
    let (_, c) = parse_tls_handshake_certificaterequest(body).ok()?;
    Some(CertificateRequest {
        length: body.len(),
        cert_types: c.cert_types,
        signature_algorithms: c.sig_hash_algs.unwrap_or_default(),
        ca_names: c.unparsed_ca.len(),
    })
}

impl CertificateRequest {
    pub fn tree(&self) -> TreeNode {
        let mut n = TreeNode::new("Handshake Protocol: Certificate Request");
        n.leaf("Handshake Type: Certificate Request (13)");
        n.leaf(format!("Length: {}", self.length));
        let mut t = TreeNode::new(format!(
            "Certificate types ({} types)",
            self.cert_types.len()
        ));
        for &c in &self.cert_types {
            t.leaf(format!(
                "Certificate type: {} ({c})",
                client_cert_type_name(c)
            ));
        }
        n.child(t);
        if !self.signature_algorithms.is_empty() {
            let mut s = TreeNode::new(format!(
                "Signature Hash Algorithms ({} algorithms)",
                self.signature_algorithms.len()
            ));
            for a in &self.signature_algorithms {
                s.leaf(format!(
                    "Signature Algorithm: {} (0x{a:04x})",
                    signature_scheme_name(*a)
                ));
            }
            n.child(s);
        }
        n.leaf(format!("Distinguished Names ({})", self.ca_names));
        n
    }
}

/// Any other handshake message, shown by name with a few decoded facts.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherHandshake {
    pub msg_type: u8,
    pub length: usize,
    /// Extra lines (escaped).
    pub lines: Vec<String>,
    /// An MessageExtensions message's extensions (TLS 1.3, read after decryption).
    pub extensions: Option<Box<MessageExtensions>>,
}

/// The extension block of an EncryptedExtensions or NewSessionTicket message: its declared
/// length, the extensions and the values the fields read from them (server_name's empty
/// acknowledgement, ALPN, supported_groups, early_data, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageExtensions {
    pub length: usize,
    pub list: Vec<Extension>,
    pub values: ExtensionValues,
}

impl OtherHandshake {
    pub fn name(&self) -> String {
        match handshake_name(self.msg_type) {
            Some(n) => n.to_string(),
            None => format!("Unknown Handshake Message ({})", self.msg_type),
        }
    }

    pub fn tree(&self) -> TreeNode {
        let name = self.name();
        let mut n = TreeNode::new(format!("Handshake Protocol: {name}"));
        n.leaf(format!(
            "Handshake Type: {} ({})",
            handshake_name(self.msg_type).unwrap_or("Unknown"),
            self.msg_type
        ));
        n.leaf(format!("Length: {}", self.length));
        for l in &self.lines {
            n.leaf(l.clone());
        }
        if let Some(e) = &self.extensions {
            n.leaf(format!("Extensions Length: {}", e.length));
            for x in &e.list {
                n.child(x.tree());
            }
        }
        n
    }
}

/// Decode the messages shown by name: NewSessionTicket gets its lifetime and ticket length
/// (in TLS 1.3's layout when `tls13`), CertificateVerify its signature algorithm and length,
/// MessageExtensions its extensions.
pub fn decode_other(msg_type: u8, body: &[u8], tls13: bool) -> OtherHandshake {
    let mut lines = Vec::new();
    let u16_at = |i: usize| Some(u16::from_be_bytes([*body.get(i)?, *body.get(i + 1)?]));
    match msg_type {
        4 if tls13 => {
            // Lifetime (4), age add (4), nonce (1 + n), ticket (2 + n), extensions.
            if let (Some(l), Some(a), Some(&n)) = (body.get(..4), body.get(4..8), body.get(8)) {
                let be = |b: &[u8]| b.iter().fold(0u32, |x, &y| (x << 8) | u32::from(y));
                lines.push(format!("Session Ticket Lifetime Hint: {} seconds", be(l)));
                lines.push(format!("Session Ticket Age Add: {}", be(a)));
                let nonce = body.get(9..9 + usize::from(n));
                lines.push(format!("Session Ticket Nonce Length: {n}"));
                if let Some(nonce) = nonce {
                    lines.push(format!("Session Ticket Nonce: {}", hex::encode(nonce)));
                }
                if let Some(t) = u16_at(9 + usize::from(n)) {
                    lines.push(format!("Session Ticket Length: {t}"));
                }
            }
        }
        4 => {
            // TLS 1.2 layout: lifetime hint (4), ticket length (2), ticket.
            if let (Some(l), Some(t)) = (body.get(..4), body.get(6..)) {
                let hint = l.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
                lines.push(format!("Session Ticket Lifetime Hint: {hint} seconds"));
                lines.push(format!("Session Ticket Data Length: {}", t.len()));
            }
        }
        15 => {
            // The signature scheme (2) and the signature (2 + n).
            if let (Some(scheme), Some(len)) = (u16_at(0), u16_at(2)) {
                lines.push(format!(
                    "Signature Algorithm: {} (0x{scheme:04x})",
                    signature_scheme_name(scheme)
                ));
                lines.push(format!("Signature length: {len}"));
            }
        }
        16 => lines.push(format!("Exchange Data Length: {}", body.len())),
        20 => lines.push("Verify Data".to_string()),
        _ => {}
    }
    // EncryptedExtensions, a TLS 1.3 NewSessionTicket: the extensions (a two-byte length,
    // then as a ServerHello's) at the start or after the ticket.
    let block = match msg_type {
        8 => Some(0),
        4 if tls13 => body
            .get(8)
            .map(|&n| 9 + usize::from(n))
            .and_then(|t| Some(t + 2 + usize::from(u16_at(t)?))),
        _ => None,
    };
    let extensions = block
        .and_then(|at| Some((usize::from(u16_at(at)?), body.get(at + 2..)?)))
        .map(|(length, rest)| {
            let (list, values, _) = decode_extensions(rest.get(..length).unwrap_or(rest), true);
            Box::new(MessageExtensions {
                length,
                list,
                values,
            })
        });
    OtherHandshake {
        msg_type,
        length: body.len(),
        lines,
        extensions,
    }
}
