//! A throwaway certificate authority and server certificate, made with the `openssl` CLI.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// PEM files for a TLS test server: a self-signed CA and a server certificate it signed for
/// `127.0.0.1` and `localhost`, valid for two days.
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
    /// Generates the files in `dir` with `openssl` (P-256 keys).
    ///
    /// # Errors
    /// When `openssl` is missing or fails; the error carries its output.
    pub fn generate(dir: &Path) -> io::Result<Self> {
        let files = Self {
            ca_cert: dir.join("ca.crt"),
            cert: dir.join("server.crt"),
            key: dir.join("server.key"),
        };
        let ca_key = dir.join("ca.key");
        let csr = dir.join("server.csr");
        let ext = dir.join("server.ext");
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )?;
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            dir,
            &[
                &["req", "-x509"],
                &ec[..],
                &["-days", "2", "-subj", "/CN=redis-test-server CA"],
            ]
            .concat(),
            &[("-keyout", &ca_key), ("-out", &files.ca_cert)],
            &[
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        )?;
        openssl(
            dir,
            &[&["req"], &ec[..], &["-subj", "/CN=localhost"]].concat(),
            &[("-keyout", &files.key), ("-out", &csr)],
            &[],
        )?;
        openssl(
            dir,
            &["x509", "-req", "-days", "2", "-set_serial", "1"],
            &[
                ("-in", &csr),
                ("-CA", &files.ca_cert),
                ("-CAkey", &ca_key),
                ("-extfile", &ext),
                ("-out", &files.cert),
            ],
            &[],
        )?;
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

fn openssl(dir: &Path, args: &[&str], paths: &[(&str, &PathBuf)], tail: &[&str]) -> io::Result<()> {
    let mut command = Command::new("openssl");
    command.current_dir(dir).args(args);
    for (flag, path) in paths {
        command.arg(flag).arg(path);
    }
    let output = command.args(tail).output().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot run openssl (is it installed?): {e}"),
        )
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "openssl {} failed ({}): {}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    )))
}
