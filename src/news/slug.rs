//! Slugs for addresses: lower-case ASCII words joined by hyphens.

/// "Ending Police Brutality: A Mayor's Perspective" -> "ending-police-brutality-a-mayors-perspective"
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    let mut dash = false;
    for c in title.chars() {
        let c = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ü' => 'u',
            'ñ' | 'Ñ' => 'n',
            'ç' => 'c',
            other => other,
        };
        if c == '\'' || c == '’' {
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
        assert!(is_valid("city-data-2020") && !is_valid("City Data") && !is_valid("-x"));
    }
}
