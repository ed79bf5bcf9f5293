"""Personas: who an agent is (identity, Big Five traits) and how that reads in a prompt."""

from sandbox.personas.persona import BIG_FIVE_DOMAINS, BigFive, Persona, load_persona_file

__all__ = ["BIG_FIVE_DOMAINS", "BigFive", "Persona", "load_persona_file"]
