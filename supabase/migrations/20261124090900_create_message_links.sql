-- Messages the bots sent (a movie, a storyboard, a ballot) that people may reply or react to.

create table public.message_links (
  chat_key text not null,
  message_id text not null,
  project_id text not null references public.projects (id) on delete cascade,
  version integer,
  kind text not null default 'other' check (kind in ('movie', 'storyboard', 'progress', 'ballot', 'other')),
  created_at timestamptz not null default now(),
  primary key (chat_key, message_id)
);

create index message_links_project_id_idx on public.message_links (project_id);

alter table public.message_links enable row level security;

create policy "members see the bot's messages"
  on public.message_links for select to authenticated
  using (public.project_role(project_id) is not null);

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.message_links to authenticated, service_role;
