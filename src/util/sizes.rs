//! Sizes in bytes, as a person writes them (`8g`, `512m`, for `--memory-budget` and serve's body
//! limit) and reads them (`1.5 KiB`, in the messages that refuse a run).

/// "8g", "512m", "64k", "1.5g", "8GiB", "1000000" -> bytes.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(&t);
    let (digits, unit) = match t.char_indices().last() {
        Some((i, 'k')) => (&t[..i], 1u64 << 10),
        Some((i, 'm')) => (&t[..i], 1 << 20),
        Some((i, 'g')) => (&t[..i], 1 << 30),
        Some((i, 't')) => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    let bad =
        || format!("`{text}` is not a size: give bytes, or a number with k, m, g or t, as 8g");
    let n: f64 = digits.trim().parse().map_err(|_| bad())?;
    let bytes = n * unit as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as u64)
}

/// 1536 -> "1.5 KiB".
pub fn show_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("8g"), Ok(8 << 30));
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("8GiB"), Ok(8 << 30));
        assert_eq!(parse_size("8gb"), Ok(8 << 30));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size(" 4096 "), Ok(4096));
        assert_eq!(parse_size("2t"), Ok(2 << 40));
        for bad in ["", "g", "-1g", "0", "lots", "1e400", "nan", "8x"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(parse_size("lots")
            .unwrap_err()
            .contains("`lots` is not a size"));
    }

    #[test]
    fn bytes_show_in_binary_units() {
        assert_eq!(show_bytes(100), "100 bytes");
        assert_eq!(show_bytes(1536), "1.5 KiB");
        assert_eq!(show_bytes(3 << 30), "3.0 GiB");
    }
}
