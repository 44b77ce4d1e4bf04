"""The households' door: a Telegram bot that asks what the decision core still needs."""
