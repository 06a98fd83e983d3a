"""The project's own HTTP API (aiohttp): screening, regions and parameters; later leads and staff."""
