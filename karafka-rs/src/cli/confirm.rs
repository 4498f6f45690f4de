//! Confirmation of commands that change or delete what is on the cluster:
//! `--yes`, or a `y` typed on a terminal; never silently without a terminal.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;

/// Whether the user agreed to `what` (e.g. "delete group `orders`"): `yes`
/// (the `--yes` flag) agrees; on a terminal the user is asked; otherwise it is refused.
pub(super) fn confirm(what: &str, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("refusing to {what} without confirmation: pass --yes (stdin is not a terminal to ask on)");
    }
    eprint!("{what}? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        bail!("not confirmed: nothing changed")
    }
}
