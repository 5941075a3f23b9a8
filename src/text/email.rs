//! Email addresses, parsed once: a value of this type is a plausible, normalized address.
//! Its fields are private and [`EmailAddress::parse`] is the only way to make one, so a
//! function that takes an `EmailAddress` need not check it again.

/// A syntactically valid email address, as entered and in a normalized (lower-case) form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    entered: String,
    normalized: String,
}

impl EmailAddress {
    /// The address as the person typed it (trimmed): what mail is sent to and what is shown.
    pub fn entered(&self) -> &str {
        &self.entered
    }

    /// The lower-cased address that accounts are found by (`people.email_norm`).
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// Reads an address, or says in a sentence what is wrong with it.
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        if s.is_empty() {
            return Err("Enter an email address.");
        }
        if s.len() > 254 {
            return Err("An email address has at most 254 characters.");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err("Enter an email address like name@city.gov.");
        };
        let bad_char = |c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';')
        };
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || local.chars().any(bad_char)
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with(['.', '-'])
            || domain.ends_with(['.', '-'])
            || domain.contains("..")
            || !domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        {
            return Err("Enter an email address like name@city.gov.");
        }
        Ok(EmailAddress {
            entered: s.to_owned(),
            normalized: s.to_lowercase(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_them() {
        let e = EmailAddress::parse("  Jamie.Harkins@LafayetteCO.gov ").unwrap();
        assert_eq!(e.entered(), "Jamie.Harkins@LafayetteCO.gov");
        assert_eq!(e.normalized(), "jamie.harkins@lafayetteco.gov");
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "jamie",
            "jamie@",
            "@city.gov",
            "a b@city.gov",
            "a@city",
            "a@.gov",
            "a@city..gov",
            "a@b@c.gov",
            "Jamie <jamie@city.gov>",
            "jamie@city.gov, ana@city.gov",
            "jamie@city.gov\nBcc: x@evil.example",
            "jamie@-city.gov",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(EmailAddress::parse(&format!("{}@city.gov", "a".repeat(300))).is_err());
    }
}
