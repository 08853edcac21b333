"""Neural networks on autograd Values (work in progress)."""
