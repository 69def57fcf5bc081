-- A profile is one chat identity (a Telegram or Discord user), not a login: the bots create it the
-- first time someone sends media or joins a project. `auth_user_id` links it to a Supabase Auth
-- user for a future web view; one auth user may own several platform identities.

create table public.profiles (
  id uuid primary key default gen_random_uuid(),
  platform text not null,                -- 'telegram' | 'discord' | ... ('' for a bare key)
  platform_user_id text not null check (platform_user_id <> ''),
  display_name text not null default '',
  auth_user_id uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (platform, platform_user_id)
);

create index profiles_auth_user_id_idx on public.profiles (auth_user_id);

alter table public.profiles enable row level security;

create policy "people read their own profiles"
  on public.profiles for select to authenticated
  using (auth_user_id = (select auth.uid()));

create policy "people rename their own profiles"
  on public.profiles for update to authenticated
  using (auth_user_id = (select auth.uid()))
  with check (auth_user_id = (select auth.uid()));

-- The bots resolve a chat identity to its profile id in one round trip (insert or fetch). A later
-- non-empty display name replaces the stored one: people rename themselves.
create function public.ensure_profile(p_platform text, p_platform_user_id text, p_display_name text default '')
returns uuid
language sql volatile
set search_path = ''
as $$
  insert into public.profiles as p (platform, platform_user_id, display_name)
  values (p_platform, p_platform_user_id, coalesce(p_display_name, ''))
  on conflict (platform, platform_user_id) do update
    set display_name = case when excluded.display_name <> '' then excluded.display_name else p.display_name end,
        updated_at = case when excluded.display_name <> '' and excluded.display_name <> p.display_name
                          then now() else p.updated_at end
  returning p.id
$$;

-- only the service role (bots, workers) creates identities
revoke execute on function public.ensure_profile(text, text, text) from public, anon, authenticated;
grant execute on function public.ensure_profile(text, text, text) to service_role;

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.profiles to authenticated, service_role;
