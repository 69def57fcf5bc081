-- The photos, clips and songs people sent to a project. `media_id` is the content hash, so the same
-- photo sent twice is one row; `item` is the pipeline's MediaItem (analysis included) as JSON.
-- `storage_key` is the object key; it starts with the project id so deleting a project's folder
-- deletes every file its rows point to.

create table public.media_assets (
  seq bigint generated always as identity unique,  -- keeps "as sent" order
  project_id text not null references public.projects (id) on delete cascade,
  media_id text not null,
  item jsonb not null,
  kind text generated always as (item ->> 'kind') stored,
  storage_key text not null check (starts_with(storage_key, project_id || '/')),
  contributor_id uuid not null references public.profiles (id),
  contributor_name text not null default '',
  added_at timestamptz not null default now(),
  removed boolean not null default false,  -- dropped from the cut, kept for undo
  primary key (project_id, media_id)
);

create index media_assets_contributor_id_idx on public.media_assets (contributor_id);
create index media_assets_project_id_seq_idx on public.media_assets (project_id, seq);

alter table public.media_assets enable row level security;

create policy "members see the media"
  on public.media_assets for select to authenticated
  using (public.project_role(project_id) is not null);

create policy "owners and editors add media"
  on public.media_assets for insert to authenticated
  with check (public.project_role(project_id) in ('owner', 'editor'));

create policy "owners and editors change media"
  on public.media_assets for update to authenticated
  using (public.project_role(project_id) in ('owner', 'editor'))
  with check (public.project_role(project_id) in ('owner', 'editor'));

create policy "owners and editors delete media"
  on public.media_assets for delete to authenticated
  using (public.project_role(project_id) in ('owner', 'editor'));

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.media_assets to authenticated, service_role;
