-- Who else works on a project, and how: editors add media and re-cut, viewers watch, comment and
-- vote. The owner may also appear here (role 'owner').

create table public.project_collaborators (
  project_id text not null references public.projects (id) on delete cascade,
  profile_id uuid not null references public.profiles (id) on delete cascade,
  role text not null default 'editor' check (role in ('owner', 'editor', 'viewer')),
  display_name text not null default '',
  joined_at timestamptz not null default now(),
  primary key (project_id, profile_id)
);

create index project_collaborators_profile_id_idx on public.project_collaborators (profile_id);

-- now a collaborator row also grants a role (the strongest one wins)
create or replace function public.project_role(p_project_id text)
returns text
language sql stable security definer
set search_path = ''
as $$
  select r.role from (
    select 'owner'::text as role, 0 as rank
    from public.projects p
    join public.profiles o on o.id = p.owner_id
    where p.id = p_project_id and o.auth_user_id = (select auth.uid())
    union all
    select c.role, case c.role when 'owner' then 0 when 'editor' then 1 else 2 end
    from public.project_collaborators c
    join public.profiles m on m.id = c.profile_id
    where c.project_id = p_project_id and m.auth_user_id = (select auth.uid())
  ) r
  order by r.rank
  limit 1
$$;

alter table public.project_collaborators enable row level security;

create policy "members read the member list"
  on public.project_collaborators for select to authenticated
  using (public.project_role(project_id) is not null);

create policy "owners add members"
  on public.project_collaborators for insert to authenticated
  with check (public.project_role(project_id) = 'owner');

create policy "owners change roles"
  on public.project_collaborators for update to authenticated
  using (public.project_role(project_id) = 'owner')
  with check (public.project_role(project_id) = 'owner');

create policy "owners remove members"
  on public.project_collaborators for delete to authenticated
  using (public.project_role(project_id) = 'owner');

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.project_collaborators to authenticated, service_role;
