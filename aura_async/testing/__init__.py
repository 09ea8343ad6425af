"""A stateful emulator of the Aura API, for testing code that uses it."""

__all__: list[str] = []
