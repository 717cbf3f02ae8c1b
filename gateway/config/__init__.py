"""config.yaml: pydantic models (`models`, `entries`), the loader (`loader`: ${VAR}, key paths,
unknown keys), route checks that need no catalog (`routes`) and the file watcher (`watcher`)."""

from gateway.config.models import GatewayConfig

__all__ = ["GatewayConfig"]
