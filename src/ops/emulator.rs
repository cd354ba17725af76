//! `aigate emulator` (hidden): serve the Cloudflare emulator on 127.0.0.1 until Ctrl-C, after
//! printing one JSON line with its URLs ([`Serving`]), for scripts and manual exploration.

use crate::cli::EmulatorArgs;
use crate::emulator::{Emulator, EmulatorOptions, Seed};
use serde::Serialize;
use std::path::PathBuf;

/// The one line printed once the emulator listens.
#[derive(Debug, Serialize)]
pub struct Serving {
    pub api_url: String,
    pub gateway_url: String,
    pub proxy_url: String,
    /// Where the proxy's CA certificate was written (`--ca-out`).
    pub ca_cert: Option<PathBuf>,
}

pub fn serve(args: &EmulatorArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let seed = if args.sandbox {
            Seed::Sandbox
        } else {
            Seed::Empty
        };
        let emu = Emulator::start(EmulatorOptions {
            tls_proxy: args.tls_proxy,
            seed,
        })
        .await?;
        if let (Some(path), Some(pem)) = (&args.ca_out, emu.ca_cert_pem()) {
            crate::files::write_atomic(path, pem.as_bytes(), Some(0o644))?;
        }
        let serving = Serving {
            api_url: emu.api_url(),
            gateway_url: emu.gateway_url(),
            proxy_url: emu.proxy_url(),
            ca_cert: args.ca_out.clone(),
        };
        println!("{}", serde_json::to_string(&serving)?);
        tokio::signal::ctrl_c().await?;
        anyhow::Ok(())
    })
}
