"""Telegram front end: translates Bot API updates into conversation events and conversation actions
into Bot API calls (python-telegram-bot 22). No product decisions live here: wording, limits on
what a user may do, and what happens next all come from the conversation core."""
