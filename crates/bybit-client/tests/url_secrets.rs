//! No error or `Debug` output of the client shows the password (or any userinfo) of its base
//! URL, whether the URL parses or not.
#![allow(clippy::unwrap_used, missing_docs)]

use bybit_client::{BybitClient, ClientConfig, Error, InstrumentsQuery, RetryPolicy};

const PASSWORD: &str = "hunter2";

fn assert_hidden(text: &str) {
    assert!(!text.contains(PASSWORD), "password shown: {text}");
    assert!(!text.contains("u:"), "userinfo shown: {text}");
}

#[test]
fn a_base_url_that_does_not_parse_is_not_quoted() {
    let err = BybitClient::new(ClientConfig::new("http://u:hunter2@h:badport")).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert_hidden(&err.to_string());
    assert_hidden(&format!("{err:?}"));
    assert!(err.to_string().contains("port"), "{err}");
}

#[test]
fn debug_of_config_and_client_hides_the_userinfo() {
    let config = ClientConfig::new("http://u:hunter2@127.0.0.1:9/");
    assert_hidden(&format!("{config:?}"));
    assert!(format!("{config:?}").contains("127.0.0.1:9"), "{config:?}");
    let client = BybitClient::new(config).unwrap();
    assert_hidden(&format!("{client:?}"));
    assert_hidden(&format!("{:?}", client.config()));
    let broken = ClientConfig::new("http://u:hunter2@h:badport");
    assert_hidden(&format!("{broken:?}"));
}

/// reqwest moves a URL's userinfo into a Basic header, but leaves it in the URL (and so in
/// its errors) when the password is not UTF-8 once percent-decoded.
#[tokio::test]
async fn a_transport_error_hides_the_userinfo() {
    for base in [
        "http://u:hunter2@127.0.0.1:1",
        "http://u:hunter2%ff@127.0.0.1:1",
    ] {
        let config = ClientConfig::new(base).with_retry(RetryPolicy::none());
        let err = BybitClient::new(config)
            .unwrap()
            .instruments(&InstrumentsQuery::linear())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Transport(_)), "{err:?}");
        assert_hidden(&err.to_string());
        assert_hidden(&format!("{err:?}"));
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            assert_hidden(&s.to_string());
            source = s.source();
        }
    }
}
