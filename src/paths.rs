//! Where aigate keeps its own files. `XDG_CONFIG_HOME` comes from [`crate::env`].

use anyhow::Context;
use std::path::PathBuf;

/// aigate's config directory: `$XDG_CONFIG_HOME/aigate` when that is set (on every OS, as
/// the contract says), else the `directories` crate's config dir for `aigate`. The state file
/// and the `--insecure-storage` token file both live here.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    if let Some(xdg) = crate::env::xdg_config_home()
        && xdg.is_absolute()
    {
        return Ok(xdg.join("aigate"));
    }
    let dirs = directories::ProjectDirs::from("", "", "aigate").context(
        "cannot find a home directory for aigate's settings (set HOME or XDG_CONFIG_HOME)",
    )?;
    Ok(dirs.config_dir().to_path_buf())
}
