//! CSV files for spreadsheets (RFC 4180): every cell quoted, a quote doubled, lines ended by
//! CRLF. A cell that a spreadsheet would run as a formula (one that begins with `=`, `+`,
//! `-`, `@`, a tab or a carriage return) gets a leading apostrophe, so that a name typed as
//! `=HYPERLINK(…)` stays text. The file begins with a UTF-8 byte order mark: without it Excel
//! reads the file in the machine's legacy code page and shows "Ã\u{81}gua" for "Água".

/// The byte order mark that tells a spreadsheet the file is UTF-8.
pub const BOM: char = '\u{feff}';

/// A CSV file being written: its header row first, then one row per [`Csv::row`].
#[derive(Debug, Clone)]
pub struct Csv {
    out: String,
}

impl Csv {
    /// A file with this header row.
    pub fn new<I, S>(header: I) -> Csv
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut csv = Csv {
            out: String::from(BOM),
        };
        csv.row(header);
        csv
    }

    /// Adds a row.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for (i, value) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_cell(&mut self.out, value.as_ref());
        }
        self.out.push_str("\r\n");
    }

    /// The file's text, byte order mark first.
    /// The file as a download named `file_name`.
    pub fn download(self, file_name: &str) -> axum::response::Response {
        use axum::{http::header, response::IntoResponse};
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    crate::files::Disposition::Attachment.value(file_name),
                ),
            ],
            self.finish(),
        )
            .into_response()
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A cell: quoted, its quotes doubled, and a text a spreadsheet would run as a formula made
/// plain by a leading apostrophe.
fn push_cell(out: &mut String, value: &str) {
    out.push('"');
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::{BOM, Csv};

    #[test]
    fn a_file_begins_with_a_byte_order_mark_and_quotes_every_cell() {
        let mut csv = Csv::new(["Name", "City"]);
        csv.row(["Ana \"Water\" Mayor", "São Paulo, SP"]);
        csv.row(["", "Line one\r\nline two"]);
        let text = csv.finish();
        assert!(text.starts_with(BOM));
        assert_eq!(text.as_bytes()[..3], [0xEF, 0xBB, 0xBF]);
        assert_eq!(
            &text[BOM.len_utf8()..],
            "\"Name\",\"City\"\r\n\
             \"Ana \"\"Water\"\" Mayor\",\"São Paulo, SP\"\r\n\
             \"\",\"Line one\r\nline two\"\r\n"
        );
    }

    #[test]
    fn formulas_are_made_plain_text() {
        let mut csv = Csv::new(["x"]);
        for cell in [
            "=HYPERLINK(\"http://evil\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "Água",
            "a=b",
        ] {
            csv.row([cell]);
        }
        let text = csv.finish();
        let rows: Vec<&str> = text[BOM.len_utf8()..].split("\r\n").collect();
        assert_eq!(
            rows,
            [
                "\"x\"",
                "\"'=HYPERLINK(\"\"http://evil\"\")\"",
                "\"'+1+1\"",
                "\"'-2+3\"",
                "\"'@SUM(A1)\"",
                "\"'\t=1\"",
                "\"'\r=1\"",
                "\"Água\"",
                "\"a=b\"",
                "",
            ]
        );
    }
}
