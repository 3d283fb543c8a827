//! Serves the mock Bybit (the recorded fixtures, in pages) on loopback until interrupted,
//! for offline demos: `mock-bybit [--port PORT]`. Prints the base URL on its first line.

use std::net::TcpListener;

use bybit_client::testing::MockBybit;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut port = 0u16;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().ok_or("--port needs a value")?.parse()?,
            other => {
                return Err(
                    format!("unknown argument {other:?}; usage: mock-bybit [--port PORT]").into(),
                );
            }
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let mock = MockBybit::builder().listener(listener).start().await;
    // The URL on stdout is this program's output, read by whoever started it.
    #[allow(clippy::print_stdout)]
    {
        println!("{}", mock.base_url());
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
