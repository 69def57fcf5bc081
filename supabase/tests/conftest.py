"""Fixtures for the policy tests, and a fix for a name clash.

pytest (--import-mode=importlib) imports this folder's files as `supabase.tests.<name>`, and when
the real supabase-py package is not imported yet it registers the repo's `supabase/` folder as a
namespace package named `supabase` — after which `from supabase import AsyncClient` fails for the
whole session. The folder name is fixed by the Supabase CLI, so swap the real package back in.
"""

from __future__ import annotations

import importlib
import sys

_placeholder = sys.modules.get("supabase")
if _placeholder is not None and getattr(_placeholder, "__file__", None) is None:
    del sys.modules["supabase"]
    importlib.invalidate_caches()
    _real = importlib.import_module("supabase")
    assert getattr(_real, "__file__", None), "supabase-py is not installed"

from tests.fakes.supabase_stack import fresh_supabase, supabase_stack  # noqa: E402, F401  (fixtures)
