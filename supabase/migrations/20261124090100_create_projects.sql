-- A project is one movie being made in one chat (or thread). `request` is the pipeline's
-- PlanRequest as JSON; `revision` makes concurrent edits from two bot processes fail loudly
-- (compare-and-set) instead of one silently overwriting the other.

create table public.projects (
  id text primary key,
  title text not null default '',
  chat_key text not null,                -- the chat the project lives in (platform:chat:thread)
  owner_id uuid not null references public.profiles (id),
  state text not null default 'collecting'
    check (state in ('collecting', 'ready', 'planning', 'rendering', 'delivered', 'refining', 'failed')),
  request jsonb not null default '{}'::jsonb,
  locked boolean not null default false,
  current_version integer check (current_version >= 1),
  default_role text not null default 'editor' check (default_role in ('owner', 'editor', 'viewer')),
  ballot text,                           -- the open vote, e.g. 'v2-vs-v3'
  revision integer not null default 0 check (revision >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index projects_owner_id_idx on public.projects (owner_id);
create index projects_chat_key_idx on public.projects (chat_key);

-- The signed-in caller's role in a project: 'owner', 'editor', 'viewer' or null. Security definer
-- so policies on projects and every child table can ask without recursing through RLS.
-- Replaced when project_collaborators arrives (next migration).
create function public.project_role(p_project_id text)
returns text
language sql stable security definer
set search_path = ''
as $$
  select 'owner'::text
  from public.projects p
  join public.profiles o on o.id = p.owner_id
  where p.id = p_project_id and o.auth_user_id = (select auth.uid())
  limit 1
$$;

-- policies for signed-in people call it; nobody else needs it (it only ever reveals the caller's own role)
revoke execute on function public.project_role(text) from public, anon;
grant execute on function public.project_role(text) to authenticated, service_role;

alter table public.projects enable row level security;

-- the owner test is spelled out as well: a stable function does not yet see the row an
-- INSERT ... RETURNING is creating, and PostgREST returns the new row
create policy "owners and collaborators read projects"
  on public.projects for select to authenticated
  using (
    owner_id in (select id from public.profiles where auth_user_id = (select auth.uid()))
    or public.project_role(id) is not null
  );

create policy "people create projects they own"
  on public.projects for insert to authenticated
  with check (owner_id in (select id from public.profiles where auth_user_id = (select auth.uid())));

create policy "owners and editors change projects"
  on public.projects for update to authenticated
  using (public.project_role(id) in ('owner', 'editor'))
  with check (public.project_role(id) in ('owner', 'editor'));

create policy "owners delete projects"
  on public.projects for delete to authenticated
  using (public.project_role(id) = 'owner');

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.projects to authenticated, service_role;
