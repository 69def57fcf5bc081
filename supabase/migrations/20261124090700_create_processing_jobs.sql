-- A mirror of the job queue, so /status works from any process. Ids are deterministic
-- ("<project>:v<n>:<kind>") so a duplicate enqueue updates the same row. Only the service role
-- (bots, workers) writes here.

create table public.processing_jobs (
  id text primary key,
  project_id text not null references public.projects (id) on delete cascade,
  version integer,
  kind text not null check (kind in ('analyse', 'make', 'refine', 'render_chunk')),
  status text not null default 'queued'
    check (status in ('queued', 'processing', 'completed', 'failed', 'cancelled')),
  progress integer not null default 0 check (progress between 0 and 100),
  stage text not null default '',
  error text,
  attempts integer not null default 0 check (attempts >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index processing_jobs_status_created_at_idx on public.processing_jobs (status, created_at);
create index processing_jobs_project_id_created_at_idx on public.processing_jobs (project_id, created_at);

alter table public.processing_jobs enable row level security;

create policy "members follow their jobs"
  on public.processing_jobs for select to authenticated
  using (public.project_role(project_id) is not null);

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.processing_jobs to authenticated, service_role;
