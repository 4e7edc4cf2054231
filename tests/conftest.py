"""Settings shared by every test of the suite."""

from hypothesis import settings

# One Hypothesis profile for every property test: the same 50 examples on every run and machine
# (derandomised, no example database written into the checkout) and no per-example deadline, since
# a first example can include Numba's compile time and a loaded CI machine is slow.
settings.register_profile("course", max_examples=50, deadline=None, derandomize=True, database=None)
settings.load_profile("course")
