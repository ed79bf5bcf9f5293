"""The interactive terminal UI (Textual): step a world, watch it, talk to its agents."""
