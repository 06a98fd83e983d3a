"""12345 hotline operator assist, one package: the call's assistance (assist.py, channel- and
storage-free), calls and their utterances (service.py, tables.py), the API the 12345 system calls
(routes.py) and the operator's console page (page.py, templates/). No Rasa."""

from bot.hotline.service import CallError, CallNotFound, CallService

__all__ = ["CallError", "CallNotFound", "CallService"]
