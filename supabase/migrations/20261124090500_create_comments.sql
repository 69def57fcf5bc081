-- What people said about a cut ("at 0:23 too fast"). Every member may comment, viewers included,
-- but only as themselves.

create table public.comments (
  seq bigint generated always as identity unique,
  id text primary key,
  project_id text not null references public.projects (id) on delete cascade,
  version integer,
  author_id uuid not null references public.profiles (id),
  body text not null,
  at_seconds double precision check (at_seconds >= 0),
  created_at timestamptz not null default now()
);

create index comments_project_id_created_at_idx on public.comments (project_id, created_at);

alter table public.comments enable row level security;

create policy "members read comments"
  on public.comments for select to authenticated
  using (public.project_role(project_id) is not null);

create policy "members comment as themselves"
  on public.comments for insert to authenticated
  with check (
    public.project_role(project_id) is not null
    and author_id in (select id from public.profiles where auth_user_id = (select auth.uid()))
  );

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.comments to authenticated, service_role;
