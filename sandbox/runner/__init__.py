"""Runs: a world config and settings -> a world stepped for N ticks -> a trajectory file."""
