//! Where aigate keeps its own files. The one place that reads `XDG_CONFIG_HOME` for aigate.

use anyhow::Context;
use std::path::PathBuf;

/// aigate's config directory: `$XDG_CONFIG_HOME/aigate` when that is set (on every OS, as
/// the contract says), else the `directories` crate's config dir for `aigate`. The state file
/// and the `--insecure-storage` token file both live here.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Ok(xdg.join("aigate"));
    }
    let dirs = directories::ProjectDirs::from("", "", "aigate").context(
        "cannot find a home directory for aigate's settings (set HOME or XDG_CONFIG_HOME)",
    )?;
    Ok(dirs.config_dir().to_path_buf())
}
