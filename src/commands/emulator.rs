//! `aigate emulator` (hidden): serve the Cloudflare emulator on 127.0.0.1 until Ctrl-C.
//! Prints one JSON line with its URLs, for scripts and manual exploration.

use crate::cli::{EmulatorArgs, GlobalArgs};
use crate::emulator::{Emulator, EmulatorOptions, Seed};
use serde_json::json;

pub fn exec(_global: &GlobalArgs, args: &EmulatorArgs) -> anyhow::Result<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let seed = if args.sandbox { Seed::Sandbox } else { Seed::Empty };
        let emu = Emulator::start(EmulatorOptions { tls_proxy: args.tls_proxy, seed }).await?;
        if let (Some(path), Some(pem)) = (&args.ca_out, emu.ca_cert_pem()) {
            crate::files::write_atomic(path, pem.as_bytes(), Some(0o644))?;
        }
        println!(
            "{}",
            json!({
                "api_url": emu.api_url(), "gateway_url": emu.gateway_url(), "proxy_url": emu.proxy_url(),
                "ca_cert": args.ca_out,
            })
        );
        tokio::signal::ctrl_c().await?;
        anyhow::Ok(())
    })?;
    Ok(0)
}
