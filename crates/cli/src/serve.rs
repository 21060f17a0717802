//! `quarry serve`: the workbench in a browser, over loopback HTTP (crates/serve).

use std::net::IpAddr;
use std::sync::Arc;

use clap::Args;

use crate::report::Failure;

#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on. Only 127.0.0.1 keeps Quarry to this machine; anything else
    /// lets other machines reach it (with the token).
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDRESS")]
    host: IpAddr,
    /// The port (a free one when left out).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Open the workbench in the default browser.
    #[arg(long)]
    open: bool,
    #[command(flatten)]
    db: crate::runs::DbArgs,
}

pub fn run(args: ServeArgs) -> i32 {
    match serve(args) {
        Ok(()) => 0,
        Err(f) => {
            eprint!("{}", f.render());
            f.exit_code()
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let location = args.db.location()?;
    // A history that cannot be opened is said now, not at the first click.
    drop(quarry_store::Store::open(&location.db).map_err(crate::runs::store_failure)?);
    let host = quarry_serve::ServeHost::new(
        crate::record::data(location)?,
        Arc::new(quarry_store::secrets::KeychainThenEnv::default()),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::input(
                format!("cannot start the async runtime: {e}"),
                "report this as a bug",
            )
        })?;
    runtime.block_on(async {
        let options = quarry_serve::Options {
            host: args.host,
            port: args.port,
            ..Default::default()
        };
        let server = quarry_serve::Server::start(options, host)
            .await
            .map_err(|e| Failure::input(e.to_string(), e.hint()))?;
        if !args.host.is_loopback() {
            crate::term::eprintln(format!(
                "quarry: warning: listening on {}: other machines that reach this address can use Quarry with the token",
                args.host
            ));
        }
        crate::out(format!("Quarry is running at {}", server.url()));
        if args.open
            && let Err(e) = opener::open_browser(server.url())
        {
            crate::term::eprintln(format!(
                "quarry: could not open a browser ({e}); open the address above"
            ));
        }
        server
            .wait()
            .await
            .map_err(|e| Failure::input(e.to_string(), e.hint()))
    })
}
