"""rasa-sdk actions: each one a thin adapter that calls the core in `bot/`."""
