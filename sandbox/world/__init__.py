"""The world engine: clock, places, social graph, event bus and the tick loop (a mesa.Model)."""
