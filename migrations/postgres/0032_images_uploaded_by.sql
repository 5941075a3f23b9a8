-- Who uploaded a picture: a form sent again holds its picture by number in a hidden field,
-- honoured only for the person who uploaded it (or the edited item's own picture).
ALTER TABLE images ADD COLUMN uploaded_by BIGINT;
