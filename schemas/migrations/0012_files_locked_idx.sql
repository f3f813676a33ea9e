-- The locked files of an owner, found without reading the others (issue 11, a delete's
-- budget). A delete frees space and asks whether any of the owner's files can be unlocked
-- (adapters/postgres/commands/command_tx.cpp, refresh_plan_locks): when none is locked and
-- what is left fits the quota, nothing can change, and the owner's files are not read at
-- all. Before, every delete read every live file of its owner to decide that: an account of
-- 100,000 files paid for all of them on each delete. Locked files are few (an account over
-- its plan after a downgrade), so the index is small and only their rows maintain it.
-- Built inside the migration's transaction: writes to files wait for one pass over it.
CREATE INDEX files_owner_locked_idx ON files (owner_id) WHERE state = 'locked';
