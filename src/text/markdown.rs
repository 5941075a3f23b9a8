//! Markdown bodies: rendered with pulldown-cmark, then sanitized with ammonia, so that a
//! script, an event attribute or a `javascript:` link in a post comes out inert.
//!
//! Rendering costs the square of how deeply the text nests: the sanitizer's HTML parser
//! looks through every open element for each new one, so 20,000 `>` took a second and
//! 200,000 more than two minutes, while the Markdown parser itself stays linear. So:
//! - what nests deeper than [`MAX_DEPTH`] (quotes, lists, raw HTML elements left open) is
//!   refused when written ([`crate::web::form::Check::markdown`]) and never given to the
//!   sanitizer ([`render`] shows such a text as plain paragraphs instead);
//! - a body is rendered once, when it is saved, off the async threads and within
//!   [`RENDER_TIME`] ([`render_off_thread`]), and pages serve the stored HTML.

use std::time::Duration;

use pulldown_cmark::{
    CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream, html,
};

/// The deepest nesting accepted: quotes in quotes, lists in lists, HTML elements in
/// elements, counted together. Real posts stay under eight.
pub const MAX_DEPTH: usize = 16;

/// The longest a body may take to render when it is saved; past it the form says so.
pub const RENDER_TIME: Duration = Duration::from_secs(5);

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// How deeply a Markdown text nests, in one linear pass of the parser: its quotes and
/// lists (inline markup cannot nest deeply, and costs nothing), plus the raw HTML elements it opens and has not closed (those stay open
/// across blocks, so they are counted through the whole text).
pub fn depth(markdown: &str) -> usize {
    let mut blocks = 0usize;
    let mut elements = 0usize;
    let mut deepest = 0usize;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Start(Tag::BlockQuote(_) | Tag::List(_)) => blocks += 1,
            Event::End(TagEnd::BlockQuote(_) | TagEnd::List(_)) => {
                blocks = blocks.saturating_sub(1)
            }
            Event::Html(raw) | Event::InlineHtml(raw) => {
                elements = raw_html_depth(&raw, elements);
            }
            _ => {}
        }
        deepest = deepest.max(blocks + elements);
    }
    deepest
}

/// The count of open HTML elements after a run of raw HTML: `<tag` opens one (not a void
/// element, not `<tag/>`), `</` closes one. Rough, on purpose: it is a bound, not a parser.
fn raw_html_depth(raw: &str, mut open: usize) -> usize {
    const VOID: [&str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "param",
    ];
    let bytes = raw.as_bytes();
    let mut i = 0;
    while let Some(at) = raw[i..].find('<') {
        let start = i + at + 1;
        i = start;
        match bytes.get(start) {
            Some(b'/') => open = open.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = raw[start..]
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .map_or(raw.len(), |n| start + n);
                let name = raw[start..name_end].to_ascii_lowercase();
                let tag_end = raw[name_end..].find('>').map(|n| name_end + n);
                let self_closing = tag_end.is_some_and(|e| raw[..e].ends_with('/'));
                if !VOID.contains(&name.as_str()) && !self_closing {
                    open += 1;
                }
            }
            _ => {}
        }
    }
    open
}

/// Whether a text nests deeper than [`MAX_DEPTH`].
pub fn too_deep(markdown: &str) -> bool {
    depth(markdown) > MAX_DEPTH
}

/// A Markdown body ready to store: its source, sanitized HTML and plain text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub source: String,
    pub html: String,
    pub text: String,
}

impl Rendered {
    /// A body rendered here and now, for text the portal writes itself (the demo's): bounded
    /// by [`render`], but on the calling thread.
    pub fn now(source: &str) -> Rendered {
        let (html, text) = render(source);
        Rendered {
            source: source.to_owned(),
            html,
            text,
        }
    }
}

/// Renders a body on a blocking thread within [`RENDER_TIME`]; `None` when it took longer
/// (the thread finishes on its own; nothing waits for it) or failed.
pub async fn render_off_thread(source: String) -> Option<Rendered> {
    let task = tokio::task::spawn_blocking(move || {
        let (html, text) = render(&source);
        Rendered { source, html, text }
    });
    match tokio::time::timeout(RENDER_TIME, task).await {
        Ok(Ok(rendered)) => Some(rendered),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "rendering a Markdown body failed");
            None
        }
        Err(_) => {
            tracing::warn!("rendering a Markdown body took longer than {RENDER_TIME:?}");
            None
        }
    }
}

/// The stored HTML of a body, or, for a row written before bodies were stored rendered (or
/// by hand), the body rendered now: [`render`] is bounded, so a view stays cheap either way.
pub fn stored_or_render(html: Option<String>, markdown: &str) -> String {
    html.unwrap_or_else(|| render(markdown).0)
}

/// The plain-text start of a body for a search snippet of `max` characters: only the start
/// is rendered, never the whole post.
pub fn snippet(markdown: &str, max: usize) -> String {
    let head: String = markdown.chars().take(max * 4).collect();
    shorten(&render(&head).1, max)
}

/// A text too deep to render, shown as what it is: its paragraphs, escaped.
fn as_plain_paragraphs(markdown: &str) -> (String, String) {
    let mut html = String::new();
    for paragraph in markdown.split("\n\n").filter(|p| !p.trim().is_empty()) {
        html.push_str("<p>");
        for (n, line) in paragraph.lines().enumerate() {
            if n > 0 {
                html.push_str("<br>");
            }
            html.push_str(&escape(line));
        }
        html.push_str("</p>\n");
    }
    let text = markdown.split_whitespace().collect::<Vec<_>>().join(" ");
    (html, text)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The sanitized HTML and the plain text (for search and excerpts) of a Markdown body. A
/// body nesting deeper than [`MAX_DEPTH`] (written before the limit, or by hand) is shown as
/// plain paragraphs: the sanitizer never sees it.
pub fn render(markdown: &str) -> (String, String) {
    if too_deep(markdown) {
        return as_plain_paragraphs(markdown);
    }
    let options = options();
    let mut unsafe_html = String::new();
    html::push_html(
        &mut unsafe_html,
        autolink(TextMergeStream::new(Parser::new_ext(markdown, options))),
    );
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

/// The events of a text with every bare `http://` or `https://` address in its text made a
/// link; addresses inside code or inside a link already are left as they are.
fn autolink<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    let mut inside = 0usize;
    events.flat_map(move |event| {
        let mut out = Vec::new();
        match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_)) => {
                inside += 1;
                out.push(event);
            }
            Event::End(TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => {
                inside = inside.saturating_sub(1);
                out.push(event);
            }
            Event::Text(text) if inside == 0 => link_addresses(&text, &mut out),
            other => out.push(other),
        }
        out
    })
}

/// Splits a text into plain runs and links at its bare web addresses.
fn link_addresses<'a>(text: &str, out: &mut Vec<Event<'a>>) {
    let mut rest = text;
    while let Some((start, end)) = next_address(rest) {
        if start > 0 {
            out.push(Event::Text(CowStr::from(rest[..start].to_owned())));
        }
        let url = &rest[start..end];
        out.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: CowStr::from(url.to_owned()),
            title: CowStr::from(""),
            id: CowStr::from(""),
        }));
        out.push(Event::Text(CowStr::from(url.to_owned())));
        out.push(Event::End(TagEnd::Link));
        rest = &rest[end..];
    }
    if !rest.is_empty() {
        out.push(Event::Text(CowStr::from(rest.to_owned())));
    }
}

/// Where the next bare web address in `text` starts and ends: at `http://` or `https://`
/// not inside a word, up to a space or `<`, without the punctuation that ends a sentence
/// or a closing bracket it did not open.
fn next_address(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    loop {
        let at = from + text[from..].find("http")?;
        let after = &text[at..];
        let scheme = if after.starts_with("https://") {
            8
        } else if after.starts_with("http://") {
            7
        } else {
            from = at + 4;
            continue;
        };
        let in_word = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '@');
        let len = after
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .unwrap_or(after.len());
        let mut url = &after[..len];
        loop {
            let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '*', '_']);
            let trimmed = if trimmed.ends_with(')')
                && trimmed.matches('(').count() < trimmed.matches(')').count()
            {
                &trimmed[..trimmed.len() - 1]
            } else {
                trimmed
            };
            if trimmed.len() == url.len() {
                break;
            }
            url = trimmed;
        }
        if !in_word && url.len() > scheme {
            return Some((at, at + url.len()));
        }
        from = at + scheme;
    }
}

/// A body as plain text for the text part of an email: paragraphs kept apart, list items
/// as "- item", a link's address after its text, no Markdown marks and no HTML.
pub fn plain(markdown: &str) -> String {
    if too_deep(markdown) {
        return markdown.to_owned();
    }
    let mut out = String::new();
    let mut lists = 0usize;
    let mut link: Option<(String, usize)> = None;
    for event in TextMergeStream::new(Parser::new_ext(markdown, options())) {
        match event {
            Event::Start(Tag::List(_)) => lists += 1,
            Event::End(TagEnd::List(_)) => {
                lists = lists.saturating_sub(1);
                if lists == 0 {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&"  ".repeat(lists.saturating_sub(1)));
                out.push_str("- ");
            }
            Event::Start(Tag::Link { dest_url, .. }) => {
                link = Some((dest_url.to_string(), out.len()))
            }
            Event::End(TagEnd::Link) => {
                if let Some((url, at)) = link.take()
                    && out[at..] != url
                {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::End(TagEnd::Item) => out.push('\n'),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::BlockQuote(_),
            ) => out.push_str(if lists > 0 { "\n" } else { "\n\n" }),
            Event::End(TagEnd::TableCell) => out.push_str("  "),
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => out.push('\n'),
            _ => {}
        }
    }
    let mut text = String::new();
    for line in out.lines() {
        if line.trim().is_empty() && (text.is_empty() || text.ends_with("\n\n")) {
            continue;
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text.trim_end().to_owned()
}

/// What an editor's preview panel shows: the body rendered and sanitized as it will be
/// published, and a note (empty for none) about what the preview did not keep.
#[derive(Debug, Clone, Default)]
pub struct Preview {
    pub html: String,
    pub note: String,
}

impl Preview {
    /// The preview of a Markdown body, rendered off the async threads as a save would; a
    /// body too deep or too slow to render says so instead.
    pub async fn of(markdown: &str) -> Preview {
        if too_deep(markdown) {
            return Preview {
                html: String::new(),
                note: format!(
                    "The text nests quotes, lists or HTML elements more than {MAX_DEPTH} levels deep, so it cannot be previewed or saved. Use at most {MAX_DEPTH} levels."
                ),
            };
        }
        match render_off_thread(markdown.to_owned()).await {
            Some(rendered) => Preview {
                html: rendered.html,
                note: String::new(),
            },
            None => Preview {
                html: String::new(),
                note: "The text took too long to prepare for the page. Shorten it or simplify its formatting.".to_owned(),
            },
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
    use super::{MAX_DEPTH, depth, plain, render, too_deep};

    #[test]
    fn bare_web_addresses_become_links_but_not_in_code_or_links() {
        let (html, _) = render(
            "See https://example.org/rates. And (http://a.gov/x_(y)) too.\n\n`https://code.example` [named](https://b.gov) <https://c.gov>\n\n    https://block.example\n\nnothttps://no.example",
        );
        assert!(
            html.contains(r#"<a href="https://example.org/rates" rel="noopener noreferrer">https://example.org/rates</a>."#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<a href="http://a.gov/x_(y)" rel="noopener noreferrer">http://a.gov/x_(y)</a>)"#
            ),
            "{html}"
        );
        assert!(html.contains("<code>https://code.example</code>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://b.gov" rel="noopener noreferrer">named</a>"#),
            "{html}"
        );
        assert_eq!(html.matches("href=\"https://c.gov\"").count(), 1, "{html}");
        assert!(html.contains("<pre><code>https://block.example"), "{html}");
        assert!(!html.contains("href=\"https://no.example"), "{html}");
        let (html, _) = render("a https://x.org/\"onmouseover=\"alert(1) b");
        assert!(!html.contains(" onmouseover"), "{html}");
    }

    #[test]
    fn plain_text_keeps_paragraphs_and_items_and_drops_the_marks() {
        assert_eq!(
            plain(
                "Two **tiers** and a [lifeline](https://a.gov) rate > 3.\n\n- one\n- `two`\n\n<b>bold</b> end"
            ),
            "Two tiers and a lifeline (https://a.gov) rate > 3.\n\n- one\n- two\n\nbold end"
        );
    }

    #[test]
    fn nesting_is_measured_for_quotes_lists_and_open_html_elements() {
        assert_eq!(depth("Plain *words*."), 0);
        assert_eq!(depth("> quoted\n>\n> - a\n>   - b"), 3);
        assert!(!too_deep("> quoted\n>> twice\n\n- a\n  - b\n    - c"));
        assert!(too_deep(&">".repeat(MAX_DEPTH + 1)));
        assert!(too_deep(&"1. ".repeat(MAX_DEPTH + 1)));
        // Elements left open stay open across paragraphs; closed ones and void ones do not
        // count.
        assert!(too_deep(&"<div>x\n\n".repeat(MAX_DEPTH + 1)));
        assert!(!too_deep(&"<div>x</div>\n\n".repeat(200)));
        assert!(!too_deep(&"a<br>b<img src=x><hr/>\n\n".repeat(200)));
    }

    #[test]
    fn a_text_too_deep_is_shown_escaped_whatever_its_size() {
        // Shown as one escaped paragraph: the Markdown parser and the sanitizer, whose cost
        // grows with the square of the depth, never see it (README, "No post can stall").
        let hostile = ">".repeat(200_000);
        let (html, _) = render(&hostile);
        assert_eq!(html, format!("<p>{}</p>\n", "&gt;".repeat(200_000)));
        let (html, text) = render(&format!("{}<script>x</script>", "<div>".repeat(40)));
        assert!(!html.contains("<script"), "{html}");
        assert!(
            text.contains("<script>"),
            "the text is kept as typed: {text}"
        );
    }

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
