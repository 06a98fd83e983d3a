"""The Rasa side of the product: its input channels (wechat.py) and its launcher (rasa_server.py).

The only package under bot/ that imports Rasa; each module is a thin adapter over the core."""
