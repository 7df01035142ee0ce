-- A password an admin chose (a new member, or a reset) must be replaced by its owner at the next
-- sign-in: the sign-in answer says so and the app asks for a new one before anything else.
-- Existing accounts are not asked (their passwords may well be their own already).
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
