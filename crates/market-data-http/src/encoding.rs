//! Content codings: which one a client accepts, and the compressed forms of a body.

use std::io::Write;

use axum::http::{HeaderMap, header};
use bytes::Bytes;

/// zstd's level for bodies built once per stored version: well past the default, since the
/// cost is paid once and every client after gains.
const ZSTD_LEVEL: i32 = 12;

/// A body's content coding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Identity,
    Gzip,
    Zstd,
}

impl Encoding {
    /// The `Content-Encoding` value, none for identity.
    pub(crate) const fn header(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Zstd => Some("zstd"),
        }
    }

    /// What the representation adds to the version's entity tag: each coding of a version
    /// is a representation of its own, with a strong tag of its own (RFC 9110, 8.8.3).
    pub(crate) const fn tag_suffix(self) -> &'static str {
        match self {
            Self::Identity => "",
            Self::Gzip => "-gzip",
            Self::Zstd => "-zstd",
        }
    }

    /// `body` in this coding.
    pub(crate) fn encode(self, body: &[u8]) -> std::io::Result<Bytes> {
        match self {
            Self::Identity => Ok(Bytes::copy_from_slice(body)),
            Self::Gzip => {
                let out = Vec::with_capacity(body.len() / 8);
                let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::best());
                encoder.write_all(body)?;
                Ok(encoder.finish()?.into())
            }
            Self::Zstd => Ok(zstd::bulk::compress(body, ZSTD_LEVEL)?.into()),
        }
    }
}

/// The coding to answer with: the one of zstd and gzip the client weighs highest
/// (`Accept-Encoding`, q-values included; zstd first on a tie), else identity.
pub(crate) fn negotiate(headers: &HeaderMap) -> Encoding {
    let (mut zstd, mut gzip, mut any) = (None::<f32>, None::<f32>, None::<f32>);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let slot = if coding.eq_ignore_ascii_case("zstd") {
                &mut zstd
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if coding == "*" {
                &mut any
            } else {
                continue;
            };
            *slot = Some(q);
        }
    }
    let zstd = zstd.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    if zstd > 0.0 && zstd >= gzip {
        Encoding::Zstd
    } else if gzip > 0.0 {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn accepting(value: &str) -> Encoding {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        negotiate(&headers)
    }

    #[test]
    fn the_highest_weighed_coding_wins() {
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
        assert_eq!(accepting("gzip"), Encoding::Gzip);
        assert_eq!(accepting("gzip, deflate, br, zstd"), Encoding::Zstd);
        assert_eq!(accepting("zstd;q=0.5, gzip"), Encoding::Gzip);
        assert_eq!(accepting("zstd;q=0, gzip;q=0"), Encoding::Identity);
        assert_eq!(accepting("*"), Encoding::Zstd);
        assert_eq!(accepting("*;q=0.1, zstd;q=0"), Encoding::Gzip);
        assert_eq!(accepting("br, deflate"), Encoding::Identity);
    }

    #[test]
    fn each_coding_decodes_to_the_body() {
        let body = br#"[{"symbol":"BTCUSDT"}]"#.repeat(100);
        let gzip = Encoding::Gzip.encode(&body).unwrap();
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzip[..]), &mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        let zstd = Encoding::Zstd.encode(&body).unwrap();
        assert_eq!(zstd::decode_all(&zstd[..]).unwrap(), body);
        assert!(gzip.len() < body.len() / 10 && zstd.len() < body.len() / 10);
    }
}
