-- find_progress looks a version's progress message up by project on every job update: without
-- this it scanned every message the bot ever linked (Supabase has the same index from the start)
CREATE INDEX message_links_project_id ON message_links (project_id);
