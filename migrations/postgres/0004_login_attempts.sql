-- Log-in attempts are now counted per account and address together.
CREATE INDEX login_failures_email_ip ON login_failures (email_norm, client_ip, at);
