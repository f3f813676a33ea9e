-- A group of upload commits in one call (issue 11, "Workers commit in groups";
-- adapters/postgres/commands/file_command_store.cpp). The worker hands over the upload
-- commands that waited together; applying them one call each cost a transaction and a round
-- trip per upload. Called in autocommit, this function's work is ONE transaction.
--
-- p_members is a JSON array of objects with commit_upload's parameters by name (upload_id,
-- owner_id, file_id, name, content_type, size, sha256, object_key, claimed, command_id,
-- event). Returns one row per member, in the array's order: commit_upload's outcome.
--
-- Each member goes through commit_upload, which decides every refusal before its first
-- write, so a refused member leaves nothing behind while the others commit. Later members
-- see earlier members' writes (usage, names): the group decides exactly what the same
-- commands one after another would. The caller sorts the members by owner: owners' rows are
-- then locked in id order, the order expiry groups use, so two groups cannot deadlock on them.
CREATE FUNCTION commit_uploads(p_members jsonb, p_settle_channel text)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  m jsonb;
BEGIN
  FOR m IN SELECT value FROM jsonb_array_elements(p_members) WITH ORDINALITY ORDER BY ordinality
  LOOP
    RETURN NEXT commit_upload((m->>'upload_id')::uuid, (m->>'owner_id')::uuid,
                              (m->>'file_id')::uuid, m->>'name', m->>'content_type',
                              (m->>'size')::bigint, m->>'sha256', m->>'object_key',
                              (m->>'claimed')::boolean, (m->>'command_id')::uuid,
                              m->'event', p_settle_channel);
  END LOOP;
  RETURN;
END;
$$;
