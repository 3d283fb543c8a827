//! Serves the mock Bybit (the recorded fixtures, in pages) on loopback until interrupted,
//! for offline demos and for tests of programs that watch the list. Prints the base URL on
//! its first line. `mock-bybit --help` says how to change the list while it runs.

use std::net::TcpListener;
use std::path::PathBuf;

use bybit_client::Category;
use bybit_client::models::Status;
use bybit_client::testing::MockBybit;

const HELP: &str = "\
mock-bybit: a local Bybit v5 GET /v5/market/instruments-info serving recorded instruments

usage: mock-bybit [--port PORT] [--instruments CATEGORY=FILE]... [--prelaunch CATEGORY=FILE]...

  --port PORT                   listen on 127.0.0.1:PORT (default: a free port)
  --instruments CATEGORY=FILE   serve CATEGORY (spot, linear, inverse, option) from FILE
                                instead of the recorded fixture
  --prelaunch CATEGORY=FILE     serve requests with status=PreLaunch for CATEGORY from FILE
                                (without it they get CATEGORY's list filtered to PreLaunch)
  -h, --help                    print this help

The base URL (http://127.0.0.1:PORT) is printed on the first line of stdout; the server runs
until interrupted (Ctrl-C or SIGINT).

Changing the list while it runs: every FILE is read again on every request, each page
included, so rewriting it changes what the next request gets. Write the new file next to it
and rename it into place, so that no request reads half a file. A FILE that cannot be read or
holds no list is answered with HTTP 500 and the reason. A FILE holds a Bybit response
({\"retCode\": 0, \"result\": {\"list\": [...]}}), its result ({\"category\": \"linear\",
\"list\": [...]}, also how an InstrumentList serializes) or a bare JSON array of instruments.
Requests without status get the whole list, whatever the instruments' status.";

fn category(name: &str) -> Result<Category, String> {
    Category::ALL
        .into_iter()
        .find(|c| c.as_str() == name)
        .ok_or_else(|| {
            format!("unknown category {name:?}; expected spot, linear, inverse or option")
        })
}

fn category_file(flag: &str, value: Option<String>) -> Result<(Category, PathBuf), String> {
    let value = value.ok_or(format!("{flag} needs CATEGORY=FILE"))?;
    let (name, path) = value
        .split_once('=')
        .ok_or(format!("{flag} needs CATEGORY=FILE, got {value:?}"))?;
    let path = PathBuf::from(path);
    // A mistyped path fails here rather than as HTTP 500s later.
    if !path.is_file() {
        return Err(format!("{flag}: no file at {}", path.display()));
    }
    Ok((category(name)?, path))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut port = 0u16;
    let mut builder = MockBybit::builder();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().ok_or("--port needs a value")?.parse()?,
            "--instruments" => {
                let (category, path) = category_file(&arg, args.next())?;
                builder = builder.instruments_file(category, path);
            }
            "--prelaunch" => {
                let (category, path) = category_file(&arg, args.next())?;
                builder = builder.status_instruments_file(category, Status::PreLaunch, path);
            }
            "-h" | "--help" => {
                #[allow(clippy::print_stdout)]
                {
                    println!("{HELP}");
                }
                return Ok(());
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: mock-bybit [--port PORT] \
                     [--instruments CATEGORY=FILE]... [--prelaunch CATEGORY=FILE]... (--help)"
                )
                .into());
            }
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let mock = builder.listener(listener).start().await;
    // The URL on stdout is this program's output, read by whoever started it.
    #[allow(clippy::print_stdout)]
    {
        println!("{}", mock.base_url());
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
