-- Members write to each other from the members' directory: the portal relays each message
-- by email, with the sender's address as Reply-To, and never shows the recipient's address.
-- An email may name an address for replies ('' : none).
ALTER TABLE outbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
-- 1: other members may write to the person through the directory; 0: turned off.
ALTER TABLE people ADD COLUMN accepts_messages BIGINT NOT NULL DEFAULT 1;
-- Each message sent, for the limit per sender and day (the text is in the outbox only);
-- delivered = 0 when the recipient had turned messages off and none was sent.
CREATE TABLE member_messages (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender_id    BIGINT  NOT NULL REFERENCES people (id),
    recipient_id BIGINT  NOT NULL REFERENCES people (id),
    sent_at      BIGINT  NOT NULL,
    delivered    BIGINT  NOT NULL
);
CREATE INDEX member_messages_sender ON member_messages (sender_id, sent_at);
