//! `aigate emulator` (hidden): serve the Cloudflare emulator on 127.0.0.1 until Ctrl-C (see
//! `ops::emulator`).

use crate::cli::{EmulatorArgs, GlobalArgs};

pub fn exec(_global: &GlobalArgs, args: &EmulatorArgs) -> anyhow::Result<i32> {
    crate::ops::emulator::serve(args)?;
    Ok(0)
}
