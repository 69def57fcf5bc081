-- Which project a chat (or thread) is talking about now: one per chat key. The key is the core's
-- "platform:chat:thread"; its parts are copied out so they can be queried.

create table public.chat_bindings (
  chat_key text primary key,
  platform text generated always as (split_part(chat_key, ':', 1)) stored,
  chat_id text generated always as (split_part(chat_key, ':', 2)) stored,
  thread_id text generated always as (nullif(split_part(chat_key, ':', 3), '')) stored,
  project_id text not null references public.projects (id) on delete cascade,
  bound_at timestamptz not null default now()
);

create index chat_bindings_project_id_idx on public.chat_bindings (project_id);

alter table public.chat_bindings enable row level security;

create policy "members see where their project lives"
  on public.chat_bindings for select to authenticated
  using (public.project_role(project_id) is not null);

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.chat_bindings to authenticated, service_role;
