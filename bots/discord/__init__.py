"""The Discord front end: discord.py events -> conversation events, conversation actions -> Discord.

Pure translation: every product decision (who may do what, what to say, when to make a smaller
movie) belongs to the conversation core. Modules: `translate` (pure mapping helpers), `outbox`
(actions -> REST calls), `bot` (the discord.Client: slash commands, messages, buttons, reactions),
`app` (the entry point `memory-movie discord` calls).
"""
