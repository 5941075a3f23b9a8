//! A real SMTP server inside the test process: it speaks enough of RFC 5321 for lettre,
//! keeps what it receives, and can refuse mail, refuse a recipient for now or for good, be out
//! of service (421), answer slowly or never, to test retries, outages, permanent failures,
//! crashes and shutdown.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// A message as received: envelope recipients and the raw data.
#[derive(Debug, Clone)]
pub struct Received {
    pub rcpt: Vec<String>,
    pub data: String,
}

impl Received {
    /// A header's value, unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// The text/plain part, decoded from quoted-printable when it is so encoded.
    pub fn text(&self) -> String {
        let start = self
            .data
            .find("Content-Type: text/plain")
            .expect("a text part");
        let part = &self.data[start..];
        let body_start = part.find("\r\n\r\n").unwrap() + 4;
        let header = &part[..body_start];
        let body = &part[body_start..];
        let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
        if header.contains("quoted-printable") {
            decode_qp(body)
        } else if header.contains("base64") {
            panic!("base64 text part not expected")
        } else {
            body.to_owned()
        }
    }
}

/// A MIME part of a received message: its headers (unfolded, names lowercased), its decoded
/// body, and its parts when it is a multipart.
#[derive(Debug, Clone)]
pub struct Part {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub parts: Vec<Part>,
}

impl Part {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type, lowercased and without parameters ("multipart/mixed", "text/plain").
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .unwrap_or("text/plain")
            .split(';')
            .next()
            .unwrap()
            .trim()
            .to_ascii_lowercase()
    }

    /// The tree of media types: "multipart/mixed[multipart/alternative[text/plain, text/html], text/calendar]".
    pub fn shape(&self) -> String {
        if self.parts.is_empty() {
            self.media_type()
        } else {
            let inner: Vec<String> = self.parts.iter().map(Part::shape).collect();
            format!("{}[{}]", self.media_type(), inner.join(", "))
        }
    }

    /// Every part, depth first, this one included.
    pub fn all(&self) -> Vec<&Part> {
        let mut out = vec![self];
        for p in &self.parts {
            out.extend(p.all());
        }
        out
    }

    /// Parses a part (or a whole message) from its raw text.
    pub fn parse(raw: &str) -> Part {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        let headers: Vec<(String, String)> = unfolded
            .split("\r\n")
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                Some((k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            })
            .collect();
        let mut part = Part {
            headers,
            body: Vec::new(),
            parts: Vec::new(),
        };
        let content_type = part.header("content-type").unwrap_or("").to_owned();
        if part.media_type().starts_with("multipart/") {
            let boundary = content_type
                .split(';')
                .find_map(|p| p.trim().strip_prefix("boundary="))
                .expect("a boundary")
                .trim_matches('"')
                .to_owned();
            let delimiter = format!("--{boundary}");
            let mut pieces = body.split(delimiter.as_str());
            pieces.next(); // the preamble
            for piece in pieces {
                if piece.starts_with("--") {
                    break;
                }
                let piece = piece.strip_prefix("\r\n").unwrap_or(piece);
                let piece = piece.strip_suffix("\r\n").unwrap_or(piece);
                part.parts.push(Part::parse(piece));
            }
        } else {
            let encoding = part
                .header("content-transfer-encoding")
                .unwrap_or("7bit")
                .to_ascii_lowercase();
            part.body = match encoding.as_str() {
                "base64" => {
                    use base64::Engine;
                    let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                    base64::engine::general_purpose::STANDARD
                        .decode(clean)
                        .expect("base64")
                }
                "quoted-printable" => decode_qp(body).replace('\n', "\r\n").into_bytes(),
                _ => body.as_bytes().to_vec(),
            };
        }
        part
    }
}

impl Received {
    /// The message as a tree of MIME parts.
    pub fn mime(&self) -> Part {
        Part::parse(&self.data)
    }
}

fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// When set, every message is refused with a temporary error (451).
    pub refuse: Arc<AtomicBool>,
    /// Recipients refused for good (554), as a server refuses a mailbox that does not exist.
    pub rejected: Arc<Mutex<Vec<String>>>,
    /// Recipients refused for now (450), as a busy mailbox or greylisting does.
    pub deferred: Arc<Mutex<Vec<String>>>,
    /// Every `RCPT TO` address asked for, refused or not, in order.
    pub asked: Arc<Mutex<Vec<String>>>,
    /// When set, the server is out of service: it greets with 421 and closes, and answers
    /// 421 to any command on a connection opened before.
    pub down: Arc<AtomicBool>,
    /// Milliseconds between receiving a message (it is kept at once) and answering 250.
    pub delay_ms: Arc<AtomicU64>,
    /// Once this many messages are kept, the next ones are kept but never answered, as when
    /// the sender dies between the end of the data and the server's 250.
    pub hang_after: Arc<AtomicUsize>,
}

impl SmtpServer {
    /// Starts on a random port (or the given one).
    pub async fn start(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = SmtpServer {
            port,
            received: Arc::default(),
            refuse: Arc::default(),
            rejected: Arc::default(),
            deferred: Arc::default(),
            asked: Arc::default(),
            down: Arc::default(),
            delay_ms: Arc::default(),
            hang_after: Arc::new(AtomicUsize::new(usize::MAX)),
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.session(stream).await });
            }
        });
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Answers 554 to `RCPT TO` this address from now on.
    pub fn reject(&self, address: &str) {
        self.rejected.lock().unwrap().push(address.to_owned());
    }

    /// Answers 450 to `RCPT TO` this address until `undefer`.
    pub fn defer(&self, address: &str) {
        self.deferred.lock().unwrap().push(address.to_owned());
    }

    pub fn undefer(&self, address: &str) {
        self.deferred.lock().unwrap().retain(|a| a != address);
    }

    /// How many times a sender asked to deliver to this address.
    pub fn asked_for(&self, address: &str) -> usize {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .filter(|a| *a == address)
            .count()
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The Message-ID of every message received, in order.
    pub fn message_ids(&self) -> Vec<String> {
        self.messages()
            .iter()
            .map(|m| m.header("Message-ID").unwrap())
            .collect()
    }

    async fn session(&self, stream: tokio::net::TcpStream) {
        const DOWN: &[u8] = b"421 4.3.2 Service not available, closing channel\r\n";
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        if self.down.load(Ordering::SeqCst) {
            let _ = write.write_all(DOWN).await;
            return;
        }
        let _ = write.write_all(b"220 test.local ESMTP ready\r\n").await;
        let mut rcpt = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let upper = line.to_uppercase();
            if self.down.load(Ordering::SeqCst) {
                let _ = write.write_all(DOWN).await;
                return;
            }
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-test.local\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("HELO") {
                b"250 test.local\r\n"
            } else if upper.starts_with("MAIL FROM") {
                rcpt.clear();
                b"250 OK\r\n"
            } else if upper.starts_with("RCPT TO") {
                let addr = line.split(['<', '>']).nth(1).unwrap_or_default().to_owned();
                self.asked.lock().unwrap().push(addr.clone());
                if self.rejected.lock().unwrap().contains(&addr) {
                    b"554 5.7.1 Recipient address rejected: no such mailbox here\r\n"
                } else if self.deferred.lock().unwrap().contains(&addr) {
                    b"450 4.2.1 Mailbox busy, try again later\r\n"
                } else {
                    rcpt.push(addr);
                    b"250 OK\r\n"
                }
            } else if upper.starts_with("DATA") {
                let _ = write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(
                        line.strip_prefix('.')
                            .filter(|_| line.starts_with(".."))
                            .unwrap_or(&line),
                    );
                }
                if self.refuse.load(Ordering::SeqCst) {
                    b"451 4.3.0 Try again later\r\n"
                } else {
                    let kept = {
                        let mut received = self.received.lock().unwrap();
                        received.push(Received {
                            rcpt: std::mem::take(&mut rcpt),
                            data,
                        });
                        received.len()
                    };
                    if kept > self.hang_after.load(Ordering::SeqCst) {
                        // Kept, never answered: wait for the sender to go away.
                        while lines.read_line(&mut line).await.unwrap_or(0) > 0 {}
                        return;
                    }
                    let delay = self.delay_ms.load(Ordering::SeqCst);
                    if delay > 0 {
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                    }
                    b"250 OK queued\r\n"
                }
            } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
                b"250 OK\r\n"
            } else if upper.starts_with("QUIT") {
                let _ = write.write_all(b"221 Bye\r\n").await;
                return;
            } else {
                b"502 Command not implemented\r\n"
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }
}
