//! Parameter documentation shared by every model: the single table from which validation messages,
//! `kiln schema` and the README's model table are produced.

/// The kind of value a parameter takes; the config checker tests values against it before any fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    Float,
    Int,
    Bool,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// `max_features`: "sqrt" | "log2" | a fraction in (0, 1] | a count >= 1.
    MaxFeatures,
    /// `early_stopping`: the string "auto", true or false.
    AutoOrBool,
    /// `class_weight`: one of the named rules ("balanced", and "balanced_subsample" for forests),
    /// or a table of class label -> weight >= 0.
    ClassWeight(&'static [&'static str]),
}

/// One row of a model's parameter table. Its default is not written here but read from the
/// model's `Default` ([`crate::models::ModelInfo::default_text`]), so each is written once.
#[derive(Debug, Clone, Copy)]
pub struct ParamDoc {
    pub name: &'static str,
    pub kind: ParamKind,
    /// What it does and its valid range.
    pub doc: &'static str,
}

/// A parameter value outside its valid range: the key and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    pub key: &'static str,
    pub message: String,
}

impl ParamError {
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        ParamError {
            key,
            message: message.into(),
        }
    }
}

/// `Err` unless `value > 0` (strictly).
pub fn positive(key: &'static str, value: f64) -> Result<(), ParamError> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(ParamError::new(key, format!("must be > 0, got {value}")))
    }
}

/// `Err` unless `value >= 0`.
pub fn non_negative(key: &'static str, value: f64) -> Result<(), ParamError> {
    if value >= 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(ParamError::new(key, format!("must be >= 0, got {value}")))
    }
}

/// `Err` unless `value >= min`.
pub fn at_least(key: &'static str, value: usize, min: usize) -> Result<(), ParamError> {
    if value >= min {
        Ok(())
    } else {
        Err(ParamError::new(
            key,
            format!("must be >= {min}, got {value}"),
        ))
    }
}

/// `Err` unless `value <= max`.
pub fn at_most(key: &'static str, value: usize, max: usize) -> Result<(), ParamError> {
    if value <= max {
        Ok(())
    } else {
        Err(ParamError::new(
            key,
            format!("must be <= {max}, got {value}"),
        ))
    }
}

/// `Err` unless `lo <= value <= hi`.
pub fn within(key: &'static str, value: f64, lo: f64, hi: f64) -> Result<(), ParamError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(ParamError::new(
            key,
            format!("must be between {lo} and {hi}, got {value}"),
        ))
    }
}
