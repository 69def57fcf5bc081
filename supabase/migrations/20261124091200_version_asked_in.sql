-- The chat message that asked for a version (a platform message id), so the finished movie is
-- posted as a reply to it even when the bot restarted while it rendered. Only ids: no text.

alter table public.project_versions add column asked_in text;
