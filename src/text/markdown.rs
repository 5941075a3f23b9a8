//! Markdown bodies: rendered with pulldown-cmark, then sanitized with ammonia, so that a
//! script, an event attribute or a `javascript:` link in a post comes out inert.

use pulldown_cmark::{Event, Options, Parser, TagEnd, html};

/// The sanitized HTML and the plain text (for search and excerpts) of a Markdown body.
pub fn render(markdown: &str) -> (String, String) {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES;
    let mut unsafe_html = String::new();
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    let clean = ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&unsafe_html)
        .to_string();
    let mut text = String::new();
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            // A heading or list item ends like a sentence, so that excerpts and snippets
            // do not run it into the next one.
            Event::End(TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell) => {
                if !text.trim_end().ends_with(['.', '!', '?', ':', ';']) {
                    text.truncate(text.trim_end().len());
                    text.push('.');
                }
                text.push(' ');
            }
            // Inline markup ends inside a word or before punctuation: `**un**likely` is one
            // word and a link's text keeps its full stop.
            Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image
                | TagEnd::Superscript
                | TagEnd::Subscript,
            ) => {}
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (clean, text)
}

/// What an editor's preview panel shows: the body rendered and sanitized as it will be
/// published, and a note (empty for none) about what the preview did not keep.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    pub html: String,
    pub note: String,
}

impl Preview {
    /// The preview of a Markdown body.
    pub fn of(markdown: &str) -> Preview {
        Preview {
            html: render(markdown).0,
            note: String::new(),
        }
    }
}

/// The first `max` characters of a text, cut at a word, with an ellipsis when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '.']))
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn scripts_event_attributes_and_javascript_links_come_out_inert() {
        let (html, _) = render(
            "Hello <script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) <a href=\"javascript:alert(4)\">x</a>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn markdown_becomes_html_and_plain_text() {
        let (html, text) =
            render("# Water\n\nCities **lead** on [affordability](https://example.org).");
        assert!(html.contains("<strong>lead</strong>"));
        assert!(html.contains("rel=\"noopener noreferrer\""));
        assert_eq!(text, "Water. Cities lead on affordability.");
    }

    #[test]
    fn inline_markup_inside_a_word_or_before_punctuation_leaves_no_space() {
        let (_, text) = render(
            "An **un**likely *ally*, a ~~bad~~ [good](https://example.org) plan.\n\n- one\n- two",
        );
        assert_eq!(text, "An unlikely ally, a bad good plan. one. two.");
    }
}
