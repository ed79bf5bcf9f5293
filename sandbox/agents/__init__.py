"""Generative agents: persona-driven agents that perceive, decide and act in a world."""
