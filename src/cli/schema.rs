//! `kiln schema`: prints the JSON Schema of pipeline files.

use super::{CommandResult, ExitStatus};

pub fn command() -> CommandResult {
    let text =
        serde_json::to_string_pretty(&crate::schema_json::pipeline_schema()).unwrap_or_default();
    crate::util::output::emit(&format!("{text}\n"))?;
    Ok(ExitStatus::Success)
}
