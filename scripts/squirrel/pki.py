#!/usr/bin/env python3
"""Make the Secret Squirrels tutorial's home-made PKI.

What this shows: a certificate authority is nothing more than a key pair and a
certificate that signs itself. Anyone can make one; it only means something to
clients that were told to trust it (here, by handing them ca.crt).

Steps, one function each:
  1. CA key + self-signed CA certificate ("Secret Squirrels CA").
  2. Server key + certificate signing request (CSR) for "localhost",
     with subjectAltName DNS:localhost and IP:127.0.0.1.
  3. The CA signs the CSR -> server certificate.

Usage: pki.py OUTDIR   (writes ca.key ca.crt server.key server.csr server.crt)
"""

import datetime
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Certificates are valid from a day ago for ten years: long enough for the
# captures to stay valid, and the "a day ago" absorbs small clock skew.
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
NOT_BEFORE = NOW - datetime.timedelta(days=1)
NOT_AFTER = NOW + datetime.timedelta(days=3650)


def new_key():
    # RSA 2048, the usual tutorial choice (`openssl genrsa 2048`).
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_key(path, key):
    # Unencrypted PEM: this is a throw-away teaching key, never committed.
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def make_ca(outdir):
    """Step 1: the CA. Subject == issuer, and it signs itself."""
    key = new_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Secret Squirrels"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Secret Squirrels CA"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        # cA=TRUE: this certificate may sign other certificates.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_key(outdir / "ca.key", key)
    (outdir / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def make_csr(outdir):
    """Step 2: the server's key and its request to be certified as "localhost"."""
    key = new_key()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Secret Squirrels"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                ]
            )
        )
        # Clients match the host name against subjectAltName, not the CN.
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    write_key(outdir / "server.key", key)
    (outdir / "server.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    return key, csr


def sign_csr(outdir, ca_key, ca_cert, csr):
    """Step 3: the CA vouches for the CSR's name and public key."""
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca_cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(san, critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (outdir / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: pki.py OUTDIR")
    outdir = Path(sys.argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = make_ca(outdir)
    _server_key, csr = make_csr(outdir)
    cert = sign_csr(outdir, ca_key, ca_cert, csr)
    print(f"pki: CA     {ca_cert.subject.rfc4514_string()}")
    print(f"pki: server {cert.subject.rfc4514_string()} issued by {cert.issuer.rfc4514_string()}")


if __name__ == "__main__":
    main()
