//! A throwaway certificate authority and server certificate, made in-process with rcgen.

use std::io;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// PEM files for a TLS test server: a self-signed CA and a server certificate it signed for
/// `127.0.0.1` and `localhost` (P-256 keys).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA certificate a client trusts.
    pub ca_cert: PathBuf,
    /// The server's certificate.
    pub cert: PathBuf,
    /// The server's private key.
    pub key: PathBuf,
}

impl TlsFiles {
    /// Generates the files in `dir`.
    ///
    /// # Errors
    /// When a certificate cannot be made or a file cannot be written.
    pub fn generate(dir: &Path) -> io::Result<Self> {
        let files = Self {
            ca_cert: dir.join("ca.crt"),
            cert: dir.join("server.crt"),
            key: dir.join("server.key"),
        };
        let (ca_pem, cert_pem, key_pem) = make_certificates().map_err(io::Error::other)?;
        std::fs::write(&files.ca_cert, ca_pem)?;
        std::fs::write(&files.cert, cert_pem)?;
        std::fs::write(&files.key, key_pem)?;
        Ok(files)
    }

    /// The CA certificate's PEM bytes, for a client's trust store.
    ///
    /// # Errors
    /// When the file cannot be read.
    pub fn ca_cert_pem(&self) -> io::Result<Vec<u8>> {
        std::fs::read(&self.ca_cert)
    }
}

/// The CA certificate, the server certificate and the server key, as PEM.
///
/// Clients such as rustls refuse a self-signed certificate used directly as the server's,
/// hence a separate CA.
fn make_certificates() -> Result<(String, String, String), rcgen::Error> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "redis-test-server CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;

    let mut server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    server
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate()?;
    let cert = server.signed_by(&key, &ca)?;
    Ok((ca.pem(), cert.pem(), key.serialize_pem()))
}
