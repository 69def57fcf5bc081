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

-- The newest project in a chat is the one the chat talks about: binding it in the same
-- transaction as the insert means a chat never points at an older project by accident.
create function public.bind_new_project_to_its_chat()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.chat_bindings (chat_key, project_id)
  values (new.chat_key, new.id)
  on conflict (chat_key) do update set project_id = excluded.project_id, bound_at = now();
  return new;
end
$$;

revoke execute on function public.bind_new_project_to_its_chat() from public, anon, authenticated;

create trigger projects_bind_chat
  after insert on public.projects
  for each row execute function public.bind_new_project_to_its_chat();

alter table public.chat_bindings enable row level security;

create policy "members see where their project lives"
  on public.chat_bindings for select to authenticated
  using (public.project_role(project_id) is not null);

-- explicit: newer Supabase images no longer grant the API roles DML on migration-created tables
grant select, insert, update, delete on table public.chat_bindings to authenticated, service_role;
