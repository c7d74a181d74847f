-- Temporary lockout (docs/security.md P7): repeated failed logins lock a user until
-- `locked_until` (Unix seconds; 0 = no temporary lock) instead of until an admin unlocks, so
-- that anyone who can reach the token endpoint cannot lock the only admin out for good.
-- `lockouts` counts the temporary locks since the user's last successful login (or unlock):
-- each further lock lasts twice as long as the one before (auth.lockout_duration, doubled, up
-- to 24 hours), which keeps guessing as slow as a permanent lock would. `locked` stays the
-- admin's lock (and the automatic lock when auth.lockout_duration = 0).
ALTER TABLE users ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0;
