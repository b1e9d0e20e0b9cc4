//! `kiln explore`: statistics, warnings and the HTML page, on the shipped data and pipelines.

mod common;
mod html_check;

use common::{root, run, scratch};
use std::time::Instant;

/// The line of the column table that starts with `name`, split on runs of spaces.
fn row<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    out.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row for `{name}` in:\n{out}"))
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

#[test]
fn a_data_file_gets_statistics_target_correlations_and_warnings() {
    let (code, out, err) = run(&["explore", "data/ames.csv", "--target", "price"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2930 rows x 82 columns"), "{out}");
    assert!(out.contains("target `price`: regression"), "{out}");
    // pandas: df.price.describe() -> mean 180796.06, 25% 129500, 50% 160000, 75% 213500
    let price = row(&out, "price");
    assert_eq!(
        &price[..12],
        [
            "price", "int", "2930", "0", "1032", "180796", "79887", "12789", "129500", "160000",
            "213500", "755000"
        ]
    );
    assert_eq!(price.last(), Some(&"(target)"));
    let lot = row(&out, "Lot.Frontage");
    assert_eq!(
        &lot[..5],
        ["Lot.Frontage", "int", "2440", "490 (16.7%)", "128"]
    );
    let zoning = row(&out, "MS.Zoning");
    assert_eq!(zoning[1], "text");
    assert!(zoning.contains(&"RL 2273, RM 462, FV 139"), "{zoning:?}");
    // The strongest correlate of price comes first: Overall.Qual, r = 0.799.
    let corr = out
        .split("strongest first:\n")
        .nth(1)
        .expect("a correlation list");
    assert!(
        corr.trim_start().starts_with("Overall.Qual     0.799"),
        "{corr}"
    );
    for w in [
        "warning: `Order` looks like an ID",
        "warning: `PID` looks like an ID",
        "warning: `Pool.QC` is 99.6% missing",
    ] {
        assert!(out.contains(w), "missing `{w}` in\n{out}");
    }
    assert!(!out.contains("warning: `area`"), "{out}");
}

#[test]
fn a_classification_target_shows_its_classes() {
    let (code, out, err) = run(&["explore", "data/penguins.csv", "--target", "species"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("classification (`species` is text with 3 classes)"),
        "{out}"
    );
    for class in ["Adelie", "Gentoo", "Chinstrap"] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(class) && l.contains('%')),
            "{class} in\n{out}"
        );
    }
    assert!(out.contains("correlation ratio (eta)"), "{out}");
    // Whole numbers with few values are classes too.
    let dir = scratch("explore-int-classes");
    let csv = dir.join("d.csv");
    let mut text = String::from("x,y\n");
    for i in 0..60 {
        text.push_str(&format!("{},{}\n", i as f64 * 0.37, i % 3));
    }
    std::fs::write(&csv, text).unwrap();
    let (code, out, err) = run(&["explore", csv.to_str().unwrap(), "--target", "y"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("classification (`y` holds 3 distinct whole numbers"),
        "{out}"
    );
}

#[test]
fn a_pipeline_is_explored_as_it_sees_the_data() {
    // flights_delay keeps 8 features (one derived) and leaves out rows without a target.
    let (code, out, err) = run(&["explore", "pipelines/flights_delay.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("327346 rows and 8 feature columns as the pipeline sees them"),
        "{out}"
    );
    assert!(
        out.contains("9430 rows without a target are left out"),
        "{out}"
    );
    let evening = row(&out, "evening");
    assert_eq!(&evening[..5], ["evening", "int", "327346", "0", "2"]);
    assert_eq!(
        row(&out, "month")[1],
        "text",
        "data.categorical = [\"month\"]"
    );
    for gone in ["tailnum", "year", "air_time"] {
        assert!(
            !out.lines().any(|l| l.starts_with(gone)),
            "`{gone}` is not a feature: {out}"
        );
    }
    // max_categories caps `dest`: no warning about its 104 categories.
    assert!(!out.contains("`dest` is text"), "{out}");
    // A derived column copying the target is caught as leakage; dropped columns are gone.
    let dir = scratch("explore-leak");
    let pipeline = dir.join("leak.toml");
    std::fs::write(
        &pipeline,
        format!(
            "[pipeline]\ntask = \"regression\"\n[data]\npath = \"{}\"\ntarget = \"price\"\n\
             drop = [\"Order\", \"PID\"]\n[[data.derive]]\nname = \"price_k\"\nexpr = \"price / 1000 + 3\"\n\
             [model]\ntype = \"ridge\"\n",
            root().join("data/ames.csv").display()
        ),
    )
    .unwrap();
    let (code, out, err) = run(&["explore", pipeline.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("warning: `price_k` predicts the target suspiciously well (r = 1)"),
        "{out}"
    );
    assert!(
        !out.contains("`Order`") && !out.lines().any(|l| l.starts_with("PID")),
        "{out}"
    );
}

#[test]
fn the_html_page_is_self_contained_and_holds_every_chart() {
    let dir = scratch("explore-html");
    let page = dir.join("ames.html");
    let (code, out, err) = run(&[
        "explore",
        "data/ames.csv",
        "--target",
        "price",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("html report:"), "{out}");
    let html = std::fs::read_to_string(&page).unwrap();
    let checked = html_check::check(&html);
    for title in [
        "Distribution of price",
        "Missing values (27 of 82 columns have gaps)",
        "Correlation between numeric columns",
        "Association with price",
        "area",
        "Neighborhood (top 10 of 28 values)",
    ] {
        checked.has_chart(title);
    }
    // A histogram per numeric column, a bar chart per text column, and the four above.
    let numeric = 39;
    let text = 43;
    assert_eq!(
        checked.charts.len(),
        4 + (numeric - 1) + text,
        "{:?}",
        checked.charts
    );
    let table = &checked.tables[0];
    assert_eq!(table.len(), 1 + 82, "a header and a row per column");
    assert_eq!(table[1][0], "price");
    assert!(checked.text.contains("looks like an ID"));
    // No gaps: the page says so instead of drawing an empty chart.
    let page = dir.join("iris.html");
    let (code, _, err) = run(&["explore", "data/iris.csv", "--html", page.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let checked = html_check::check(&std::fs::read_to_string(&page).unwrap());
    assert!(checked.text.contains("No column has missing values."));
    checked.has_chart("Correlation between numeric columns");
    checked.has_chart("target");
}

#[test]
fn every_shipped_dataset_and_pipeline_can_be_explored() {
    let targets = [
        ("ames.csv", "price"),
        ("penguins.csv", "species"),
        ("iris.csv", "target"),
        ("wine.csv", "target"),
        ("breast_cancer.csv", "target"),
        ("diabetes.csv", "target"),
        ("flights.parquet", "arr_delay"),
    ];
    let dir = scratch("explore-all");
    for (file, target) in targets {
        let page = dir.join(format!("{file}.html"));
        let path = format!("data/{file}");
        let (code, out, err) = run(&[
            "explore",
            &path,
            "--target",
            target,
            "--html",
            page.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{file}: {err}");
        assert!(out.contains(&format!("target `{target}`")), "{file}: {out}");
        // No honest shipped column is taken for leakage.
        assert!(!out.contains("suspiciously"), "{file}: {out}");
        html_check::check(&std::fs::read_to_string(&page).unwrap());
    }
    for entry in std::fs::read_dir(root().join("pipelines")).unwrap() {
        let path = entry.unwrap().path();
        let (code, out, err) = run(&["explore", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", path.display());
        assert!(out.contains("as the pipeline sees them"), "{out}");
    }
}

#[test]
fn flights_is_explored_quickly() {
    let started = Instant::now();
    let (code, out, err) = run(&["explore", "data/flights.parquet", "--target", "arr_delay"]);
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("336776 rows x 19 columns"), "{out}");
    assert!(out.contains("warning: `year` is constant (2013)"), "{out}");
    assert!(
        out.contains("warning: `tailnum` is text with 4043 distinct values"),
        "{out}"
    );
    eprintln!("explore flights.parquet: {seconds:.2} s");
    // About 0.6 s in the dev profile on two cores; a generous bound catches a quadratic slip.
    assert!(seconds < 20.0, "{seconds} s");
}

#[test]
fn bad_input_is_named_with_exit_code_2() {
    let (code, _, err) = run(&["explore", "data/nope.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("data/nope.csv"), "{err}");
    let (code, _, err) = run(&["explore", "data/ames.csv", "--target", "prise"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no column `prise`") && err.contains("did you mean `price`?"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "explore",
        "pipelines/house_prices.toml",
        "--target",
        "price",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--target is for a data file"), "{err}");
    let dir = scratch("explore-bad");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[pipeline]\ntask = \"regression\"\n[data]\npath = \"x.csv\"\ntraget = \"y\"\n[model]\ntype = \"ridge\"\n").unwrap();
    let (code, _, err) = run(&["explore", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown key `traget`"), "{err}");
    let page = dir.join("no/such/folder/x.html");
    let (code, _, err) = run(&["explore", "data/iris.csv", "--html", page.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot write the HTML report"), "{err}");
}
