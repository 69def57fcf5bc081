-- Platform update ids already handled, so a redelivered update is dropped. Bot-internal: RLS on and
-- no policies, so only the service role reads or writes it.

create table public.seen_events (
  event_key text primary key,
  seen_at timestamptz not null default now()
);

create index seen_events_seen_at_idx on public.seen_events (seen_at);  -- for pruning old keys

alter table public.seen_events enable row level security;

grant select, insert, update, delete on table public.seen_events to service_role;
