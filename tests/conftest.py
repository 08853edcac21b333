"""Shared test configuration: Hypothesis profiles ("ci" under CI, "dev" otherwise)."""

import os

from hypothesis import settings

# No deadlines: timing varies on shared CI machines, and tests must not assert on time.
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
