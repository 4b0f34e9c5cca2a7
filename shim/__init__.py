"""A proxy that serves legacy Twitter/X API v1.1 mute calls through API v2."""

__version__ = "0.5.0.dev0"
