from tests.fakes.supabase_stack import fresh_supabase, supabase_stack  # noqa: F401  (fixtures)
