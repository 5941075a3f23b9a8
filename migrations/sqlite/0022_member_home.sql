-- The member home. A person's first steps: when they chose whether to be listed in the
-- members' directory and which time zone to read times in (NULL: never chose, so a person
-- not listed is "not yet listed" until they choose), and when they dismissed the first
-- steps' checklist. A city's staff contact: the staff member its people ask (NULL: the
-- organization's contact).
ALTER TABLE people ADD COLUMN listing_chosen_at BIGINT;
ALTER TABLE people ADD COLUMN zone_chosen_at BIGINT;
ALTER TABLE people ADD COLUMN checklist_dismissed_at BIGINT;
ALTER TABLE cities ADD COLUMN staff_contact_id BIGINT REFERENCES people (id);
-- Listed people and people with a zone of their own chose; of the others nobody can tell.
UPDATE people SET listing_chosen_at = created_at WHERE listed = 1;
UPDATE people SET zone_chosen_at = created_at WHERE time_zone <> '';
