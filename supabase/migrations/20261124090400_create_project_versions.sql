-- Every cut of a project: v1, v2, ... (a refinement is a new version with a parent, never an edit
-- in place). `request` is the PlanRequest and `plan` the EditPlan, as JSON. The primary key keeps
-- two bot processes from both creating "v3".

create table public.project_versions (
  project_id text not null references public.projects (id) on delete cascade,
  number integer not null check (number >= 1),
  parent integer check (parent >= 1),
  request jsonb not null,
  plan jsonb,
  status text not null default 'queued'
    check (status in ('queued', 'planning', 'rendering', 'ready', 'failed', 'cancelled')),
  summary text not null default '',
  render_key text check (starts_with(render_key, project_id || '/')),
  poster_key text check (starts_with(poster_key, project_id || '/')),
  storyboard_key text check (starts_with(storyboard_key, project_id || '/')),
  duration double precision check (duration >= 0),
  width integer check (width > 0),
  height integer check (height > 0),
  size_bytes bigint check (size_bytes >= 0),
  error text,
  created_by uuid not null references public.profiles (id),
  created_at timestamptz not null default now(),
  primary key (project_id, number)
);

alter table public.project_versions enable row level security;

create policy "members see the versions"
  on public.project_versions for select to authenticated
  using (public.project_role(project_id) is not null);

create policy "owners and editors make versions"
  on public.project_versions for insert to authenticated
  with check (public.project_role(project_id) in ('owner', 'editor'));

create policy "owners and editors update versions"
  on public.project_versions for update to authenticated
  using (public.project_role(project_id) in ('owner', 'editor'))
  with check (public.project_role(project_id) in ('owner', 'editor'));

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.project_versions to authenticated, service_role;
