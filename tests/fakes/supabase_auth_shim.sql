-- What a Supabase database already has before our migrations run, reduced to what they use:
-- the API roles, schema auth (users + auth.uid() from the JWT claims PostgREST sets), a minimal
-- storage.buckets, and the default grants Supabase gives the API roles on schema public.
-- Tests apply this BEFORE supabase/migrations; it is deliberately not a migration (real projects
-- have all of it, and `supabase db push` must not try to create it).

-- Roles are cluster-wide and several test sessions may start at once: tolerate a race.
do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role', 'authenticator'] loop
    if not exists (select from pg_roles where rolname = r) then
      begin
        execute format('create role %I %s', r, case r
          when 'authenticator' then 'login noinherit'
          when 'service_role' then 'nologin noinherit bypassrls'
          else 'nologin noinherit' end);
      exception when duplicate_object or unique_violation then null;
      end;
    end if;
  end loop;
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not pg_has_role('authenticator', r, 'member') then
      execute format('grant %I to authenticator', r);
    end if;
  end loop;
end
$$;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  id uuid primary key default gen_random_uuid(),
  email text unique,
  created_at timestamptz not null default now()
);

-- Supabase's definition: PostgREST >= 9 puts the claims in request.jwt.claims (json); older
-- versions set request.jwt.claim.sub.
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

grant execute on function auth.uid(), auth.role() to anon, authenticated, service_role;

create schema if not exists storage;
grant usage on schema storage to service_role;
create table if not exists storage.buckets (
  id text primary key,
  name text not null unique,
  public boolean not null default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
