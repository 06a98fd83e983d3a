"""Conversation logic shared by every channel (chat, WeChat, hotline assist), free of Rasa:
numbers and facts in plain Chinese, the pre-screen dialogue, and emergency detection."""
