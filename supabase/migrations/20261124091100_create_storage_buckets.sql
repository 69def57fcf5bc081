-- The buckets, as declared in supabase/config.toml (which `supabase start` applies locally); this
-- creates them on a hosted project at `supabase db push`. All private: the bots use the service
-- role and share renders through signed URLs. Object keys are "<project_id>/<name>".

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values
  ('user-media', 'user-media', false, 524288000,
   array['image/*', 'video/*', 'audio/*', 'application/octet-stream']),
  ('rendered-videos', 'rendered-videos', false, 524288000,
   array['video/mp4', 'video/quicktime', 'video/webm', 'application/octet-stream']),
  ('project-thumbnails', 'project-thumbnails', false, 10485760,
   array['image/jpeg', 'image/png', 'image/webp', 'image/gif'])
on conflict (id) do update
  set public = excluded.public,
      file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;
