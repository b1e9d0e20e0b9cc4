//! The one interface every model implements: [`Model`] for its parameter struct (its info and
//! parameter table, check, fit on a design) and [`Predictor`] for its fitted state (predict,
//! feature weights). `ModelSpec` and `FittedModel` (in `mod.rs`) dispatch to them; adding a model
//! is its file plus one line in each list of the registry there.

use super::params::ParamError;
use super::{FitCache, FittedModel, ModelInfo, Output, Targets, Task};
use crate::design::{Design, DesignColumns};
use crate::matrix::Matrix;
use crate::rng::Rng;

/// What a fit reads: the design matrix, the targets, this fit's own generator, the pipeline's seed
/// (k-means and hist_gradient_boosting use it as scikit-learn's `random_state`) and the cache shared
/// by every fit on the same (design, targets).
pub struct FitOn<'a> {
    pub design: &'a Design,
    pub targets: Targets<'a>,
    /// `data.weight`: one weight per row, as scikit-learn's `sample_weight`; None: every row 1.
    pub weights: Option<&'a [f64]>,
    pub rng: &'a mut Rng,
    pub seed: u64,
    pub cache: &'a FitCache,
}

/// A model's parameter struct (`[model]` in the pipeline file): what kiln knows of the model.
pub trait Model {
    /// The name, tasks, objective and parameter table (`kiln schema`, the checker, the README).
    const INFO: ModelInfo;
    /// What a fit makes; model.json stores it as a [`FittedModel`].
    type Fitted: Predictor + Into<FittedModel>;

    /// Rejects impossible parameter values and parameters of another task before any fit.
    fn check_for(&self, task: Task) -> Result<(), ParamError>;

    /// Whether fitting reads a design's one-hot blocks as slots (the normal equations, the tree
    /// builder) rather than through the dense matrix: what a fold's design costs in memory.
    fn reads_slots(&self, task: Task) -> bool;

    /// Whether the model fits rows with missing values (NaN).
    fn handles_missing(&self) -> bool {
        false
    }

    /// Fits on a design: the model and anything worth telling the user (a convergence warning).
    fn fit(&self, on: FitOn) -> FitResult<Self::Fitted>;

    /// Whether [`Model::fit_columns`] fits (and so a fold's training design is never made whole).
    const READS_COLUMNS: bool = false;

    /// Whether the fit weights rows by [`FitOn::weights`] (`data.weight`); a pipeline that gives
    /// weights to a model that does not is refused before any fit.
    const TAKES_WEIGHTS: bool = false;

    /// Fits on a design read a column at a time, for a model that never needs it whole (`None`
    /// for the others, which are given the whole design through [`Model::fit`]).
    fn fit_columns(&self, on: FitOnColumns) -> Option<FitResult<Self::Fitted>> {
        let _ = on;
        None
    }
}

/// A fit's outcome: the fitted model and its warnings, or why it failed.
pub type FitResult<F> = Result<(F, Vec<String>), String>;

/// [`FitOn`] with the design as columns made on demand.
pub struct FitOnColumns<'a> {
    pub columns: &'a dyn DesignColumns,
    pub targets: Targets<'a>,
    pub weights: Option<&'a [f64]>,
    pub rng: &'a mut Rng,
    pub seed: u64,
    pub cache: &'a FitCache,
}

/// A fitted model's state.
pub trait Predictor {
    /// Whether [`Predictor::predict_slots`] reads a design's one-hot slots.
    const READS_SLOTS: bool = false;

    fn predict(&self, x: &Matrix) -> Output;

    /// The predictions for a design read through its one-hot slots, the same bits as
    /// [`Predictor::predict`] on its dense matrix; `None` for the models that need that matrix.
    fn predict_slots(&self, x: &Design) -> Option<Output> {
        let _ = x;
        None
    }

    /// Per-feature coefficients or importances, for reports: (what they are, one value per column).
    fn feature_weights(&self) -> Option<(&'static str, Vec<f64>)>;
}

/// Fits on a dense matrix, with a cache of its own (tests, small inputs).
pub fn fit_dense<M: Model>(
    p: &M,
    x: &Matrix,
    targets: Targets,
    rng: &mut Rng,
) -> Result<(M::Fitted, Vec<String>), String> {
    let design = Design::from_dense(x.clone());
    p.fit(FitOn {
        design: &design,
        targets,
        weights: None,
        rng,
        seed: 0,
        cache: &FitCache::default(),
    })
}
