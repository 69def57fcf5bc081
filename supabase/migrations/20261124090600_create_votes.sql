-- "Which cut is better, v2 or v3?": one vote per person per ballot; voting again replaces it.

create table public.votes (
  project_id text not null references public.projects (id) on delete cascade,
  ballot text not null,
  voter_id uuid not null references public.profiles (id),
  version integer not null check (version >= 1),
  created_at timestamptz not null default now(),
  primary key (project_id, ballot, voter_id)
);

alter table public.votes enable row level security;

create policy "members see votes"
  on public.votes for select to authenticated
  using (public.project_role(project_id) is not null);

create policy "members vote as themselves"
  on public.votes for insert to authenticated
  with check (
    public.project_role(project_id) is not null
    and voter_id in (select id from public.profiles where auth_user_id = (select auth.uid()))
  );

create policy "members change their own vote"
  on public.votes for update to authenticated
  using (voter_id in (select id from public.profiles where auth_user_id = (select auth.uid())))
  with check (
    public.project_role(project_id) is not null
    and voter_id in (select id from public.profiles where auth_user_id = (select auth.uid()))
  );

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.votes to authenticated, service_role;
