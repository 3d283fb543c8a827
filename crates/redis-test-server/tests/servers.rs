//! The helpers start real servers, restart them on the same port, and clean up.

use redis_test_server::{RedisCluster, RedisServer};

#[test]
fn standalone_starts_answers_restarts_and_stops() {
    let mut server = RedisServer::start().unwrap();
    let port = server.port();
    assert_ne!(port, 6379);
    assert_eq!(server.url(), format!("redis://127.0.0.1:{port}/0"));
    assert_eq!(server.cli(&["set", "k", "v"]).unwrap().trim(), "OK");
    assert_eq!(server.cli(&["get", "k"]).unwrap().trim(), "v");

    server.stop();
    assert!(!server.is_running());
    assert!(
        server.cli(&["ping"]).is_err(),
        "stopped server still answers"
    );

    server.restart().unwrap();
    assert!(server.is_running());
    assert_eq!(server.port(), port, "restarted on the same port");
    assert_eq!(
        server.cli(&["get", "k"]).unwrap().trim(),
        "",
        "nothing persisted"
    );
    let dir = server.dir().to_owned();
    drop(server);
    assert!(!dir.exists(), "temporary directory removed on drop");
}

#[test]
fn password_is_required() {
    let server = RedisServer::builder().password("s3cret").start().unwrap();
    assert!(server.url().starts_with("redis://:s3cret@127.0.0.1:"));
    assert_eq!(server.cli(&["ping"]).unwrap().trim(), "PONG");
    let anonymous = std::process::Command::new("redis-cli")
        .args(["-p", &server.port().to_string(), "ping"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&anonymous.stdout).contains("NOAUTH"));
}

#[test]
fn tls_port_and_certificates() {
    let server = RedisServer::builder().tls().start().unwrap();
    let files = server.tls_files().unwrap();
    let tls_port = server.tls_port().unwrap();
    let out = std::process::Command::new("redis-cli")
        .args(["--tls", "--cacert"])
        .arg(&files.ca_cert)
        .args(["-h", "127.0.0.1", "-p", &tls_port.to_string(), "ping"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "PONG");
    assert!(server.tls_url().unwrap().starts_with("rediss://127.0.0.1:"));
}

#[test]
fn cluster_of_three_serves_every_slot() {
    let cluster = RedisCluster::start(3).unwrap();
    assert_eq!(cluster.nodes().len(), 3);
    let info = cluster.nodes()[0].cli(&["cluster", "info"]).unwrap();
    assert!(info.contains("cluster_state:ok"), "{info}");
    assert!(info.contains("cluster_size:3"), "{info}");
    assert!(
        RedisCluster::start(2).is_err(),
        "fewer than three masters refused"
    );
}

#[test]
fn bad_argument_fails_with_the_log() {
    let err = RedisServer::builder()
        .arg("--no-such-option")
        .arg("1")
        .start()
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("exited"), "{message}");
    assert!(
        message.contains("no-such-option"),
        "the log is in the error: {message}"
    );
}

#[test]
fn a_panicking_test_still_stops_its_server() {
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    let outcome = std::thread::spawn(move || {
        let server = RedisServer::start().unwrap();
        port_tx.send(server.port()).unwrap();
        panic!("a test fails while its server runs");
    })
    .join();
    assert!(outcome.is_err(), "the thread panicked");
    let port = port_rx.recv().unwrap();
    let connect = std::net::TcpStream::connect(("127.0.0.1", port));
    assert!(connect.is_err(), "server on port {port} outlived the panic");
}
