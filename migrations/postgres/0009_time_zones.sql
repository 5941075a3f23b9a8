-- Time zones by IANA name: a city's is the default for its people; a person may choose their
-- own. Empty means not chosen (the city's, then the organization's, applies).
ALTER TABLE cities ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
