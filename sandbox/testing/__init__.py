"""Helpers for testing code built on the sandbox without a real model (a fake OpenAI server)."""
