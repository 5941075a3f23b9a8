//! The fold that search compares with: Unicode lower case in composed form (NFC), computed
//! in Rust for the text and for the query alike. SQL's `lower()` cannot serve: SQLite's folds
//! only ASCII ("ÁGUA" stays "ÁGUA") while PostgreSQL's follows the database's locale, so the
//! same search would find different things on the two databases.

use unicode_normalization::UnicodeNormalization;

/// `text` lower-cased and composed: "ÁGUA", "Água" and "A\u{301}gua" all fold to "água".
pub fn fold(text: &str) -> String {
    text.to_lowercase().nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn case_and_composition_do_not_matter() {
        assert_eq!(fold("ÁGUA"), "água");
        assert_eq!(fold("Água"), "água");
        assert_eq!(fold("A\u{301}gua"), "água");
        assert_eq!(fold("ÑANDÚ"), fold("ñandú"));
        assert_eq!(fold("ÇANKAYA Su"), "çankaya su");
        assert_eq!(fold("ΣΟΦΊΑ"), "σοφία");
        assert_eq!(fold("Water RATES 50%"), "water rates 50%");
    }
}
