//! Slugs for addresses: lower-case ASCII words joined by hyphens.

/// "Ending Police Brutality: A Mayor's Perspective" -> "ending-police-brutality-a-mayors-perspective".
/// Letters outside ASCII are transliterated first ("Çankaya" -> "cankaya", "Straße" ->
/// "strasse"), so that no letter of a name is lost.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    let mut dash = false;
    // Typographic apostrophes come out of `deunicode` as `'`.
    for c in deunicode::deunicode(title).chars() {
        if c == '\'' {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !slug.is_empty() {
            slug.push('-');
            dash = true;
        }
        if slug.len() >= 80 {
            break;
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Whether a slug typed by staff is acceptable as it is.
pub fn is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 100
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::{is_valid, slugify};

    #[test]
    fn titles_become_readable_slugs() {
        assert_eq!(
            slugify("Ending Police Brutality: A Mayor's Perspective & Call to Action"),
            "ending-police-brutality-a-mayors-perspective-call-to-action"
        );
        assert_eq!(
            slugify("COVID-19 and Water Affordability"),
            "covid-19-and-water-affordability"
        );
        assert_eq!(slugify("Año Nuevo"), "ano-nuevo");
        assert_eq!(slugify("!!!"), "");
        assert_eq!(slugify("Mayors’ Water Forum"), "mayors-water-forum");
        assert!(is_valid("city-data-2020") && !is_valid("City Data") && !is_valid("-x"));
    }

    #[test]
    fn letters_outside_ascii_are_transliterated_not_dropped() {
        assert_eq!(slugify("Çankaya"), "cankaya");
        assert_eq!(slugify("Çankaya Su"), "cankaya-su");
        assert_eq!(slugify("São Paulo: Água"), "sao-paulo-agua");
        assert_eq!(slugify("Łódź and Straße"), "lodz-and-strasse");
        assert_eq!(slugify("ÑANDÚ"), "nandu");
        assert!(is_valid(&slugify("Ærøskøbing — Ørsted")));
    }
}
