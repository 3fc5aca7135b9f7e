//! tshark's "Decode As" (`-d udp.port==5353,dns`): a session on a given TCP or UDP port is
//! parsed as the named protocol, skipping content detection. The protocol is looked up in
//! the registry by name, so every registered protocol of the transport can be forced.

use super::parser::Transport;
use super::registry::{self, Protocol};

/// One `-d LAYER==PORT,PROTOCOL` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeAs {
    pub transport: Transport,
    pub port: u16,
    pub protocol: &'static Protocol,
}

/// Why a `-d` value was refused (the messages follow tshark's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeAsError {
    #[error("-d: parameter \"{0}\" doesn't follow the template \"<layer_type>==<selector>,<decode_as_protocol>\"")]
    Template(String),
    #[error("-d: unknown layer type -- {0} (valid: tcp.port, udp.port)")]
    LayerType(String),
    #[error("-d: invalid selector number \"{0}\"")]
    Selector(String),
    #[error("-d: unknown protocol -- \"{protocol}\" (valid for {layer}: {valid})")]
    Protocol {
        protocol: String,
        layer: String,
        valid: String,
    },
}

/// tshark's other names for a protocol.
fn canonical(name: &str) -> &str {
    match name {
        "ssl" => "tls",
        other => other,
    }
}

impl DecodeAs {
    /// Parse `tcp.port==8443,tls` (`=` is accepted for `==`, as tshark does with a warning).
    pub fn parse(text: &str) -> Result<Self, DecodeAsError> {
        let template = || DecodeAsError::Template(text.to_string());
        let (selector, proto) = text.split_once(',').ok_or_else(template)?;
        let (layer, port) = selector
            .split_once("==")
            .or_else(|| selector.split_once('='))
            .ok_or_else(template)?;
        let layer = layer.trim();
        let transport = match layer {
            "tcp.port" => Transport::Tcp,
            "udp.port" => Transport::Udp,
            other => return Err(DecodeAsError::LayerType(other.to_string())),
        };
        let port_text = port.trim();
        let port = port_text
            .parse::<u16>()
            .map_err(|_| DecodeAsError::Selector(port_text.to_string()))?;
        let wanted = canonical(proto.trim());
        let runs_on = |p: &&Protocol| p.transports.contains(&transport);
        let protocol = registry::PROTOCOLS
            .iter()
            .filter(runs_on)
            .find(|p| p.name == wanted)
            .ok_or_else(|| DecodeAsError::Protocol {
                protocol: proto.trim().to_string(),
                layer: layer.to_string(),
                valid: registry::PROTOCOLS
                    .iter()
                    .filter(runs_on)
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Ok(DecodeAs {
            transport,
            port,
            protocol,
        })
    }
}

/// The protocol forced on a session of `transport` between `ports` (server port first, so
/// the server's rule wins when both ports have one; the last rule given for a port wins).
pub fn forced(
    rules: &[DecodeAs],
    transport: Transport,
    ports: [u16; 2],
) -> Option<&'static Protocol> {
    ports.iter().find_map(|port| {
        rules
            .iter()
            .rev()
            .find(|r| r.transport == transport && r.port == *port)
            .map(|r| r.protocol)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tshark_syntax_and_refuses_the_rest() {
        let d = DecodeAs::parse("udp.port==5353,dns").unwrap();
        assert_eq!(
            (d.transport, d.port, d.protocol.name),
            (Transport::Udp, 5353, "dns")
        );
        let d = DecodeAs::parse("tcp.port=8443,ssl").unwrap();
        assert_eq!((d.transport, d.protocol.name), (Transport::Tcp, "tls"));
        for p in ["http", "http2", "tls", "dns"] {
            assert_eq!(
                DecodeAs::parse(&format!("tcp.port==1,{p}"))
                    .unwrap()
                    .protocol
                    .name,
                p
            );
        }
        assert_eq!(
            DecodeAs::parse("udp.port==4433,quic")
                .unwrap()
                .protocol
                .name,
            "quic"
        );
        assert!(matches!(
            DecodeAs::parse("foo"),
            Err(DecodeAsError::Template(_))
        ));
        assert!(matches!(
            DecodeAs::parse("udp.port==5353"),
            Err(DecodeAsError::Template(_))
        ));
        assert_eq!(
            DecodeAs::parse("xyz.port==1,dns"),
            Err(DecodeAsError::LayerType("xyz.port".into()))
        );
        assert_eq!(
            DecodeAs::parse("udp.port==abc,dns"),
            Err(DecodeAsError::Selector("abc".into()))
        );
        assert_eq!(
            DecodeAs::parse("udp.port==70000,dns"),
            Err(DecodeAsError::Selector("70000".into()))
        );
        let e = DecodeAs::parse("udp.port==53,http").unwrap_err();
        assert_eq!(
            e.to_string(),
            "-d: unknown protocol -- \"http\" (valid for udp.port: quic, dns)"
        );
    }

    #[test]
    fn forced_by_either_port_server_first() {
        let rules = [
            DecodeAs::parse("tcp.port==8080,http").unwrap(),
            DecodeAs::parse("tcp.port==40000,tls").unwrap(),
            DecodeAs::parse("udp.port==8080,dns").unwrap(),
        ];
        let name = |t, p| forced(&rules, t, p).map(|p| p.name);
        assert_eq!(name(Transport::Tcp, [8080, 40000]), Some("http"));
        assert_eq!(name(Transport::Tcp, [40000, 8080]), Some("tls"));
        assert_eq!(name(Transport::Udp, [1, 8080]), Some("dns"));
        assert_eq!(name(Transport::Udp, [1, 2]), None);
    }
}
