-- Local development data: `supabase db reset` loads it after the migrations. Not for production.
-- A console-chat identity with one empty project bound to its chat, so `memory-movie chat`
-- against a local stack starts inside a project.

insert into public.profiles (id, platform, platform_user_id, display_name)
values ('00000000-0000-4000-8000-000000000001', 'console', 'demo', 'Demo')
on conflict (platform, platform_user_id) do nothing;

insert into public.projects (id, title, chat_key, owner_id, state, created_at, updated_at)
values ('demo', 'Demo trip', 'console:demo:', '00000000-0000-4000-8000-000000000001', 'collecting',
        '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')
on conflict (id) do nothing;

insert into public.project_collaborators (project_id, profile_id, role, display_name, joined_at)
values ('demo', '00000000-0000-4000-8000-000000000001', 'owner', 'Demo', '2026-01-01T00:00:00Z')
on conflict (project_id, profile_id) do nothing;

insert into public.chat_bindings (chat_key, project_id)
values ('console:demo:', 'demo')
on conflict (chat_key) do nothing;
