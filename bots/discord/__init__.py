"""The Discord front end: discord.py events -> conversation events, conversation actions -> Discord.

Pure translation: every product decision (who may do what, what to say, when to make a smaller
movie) belongs to the conversation core. Modules: `translate` (pure mapping helpers), `outbox`
(actions -> REST calls), `bot` (the discord.Client: slash commands, messages, buttons, reactions),
`app` (the entry point `memory-movie discord` calls).

Setting up the bot in the Discord developer portal:
- Bot -> Privileged Gateway Intents -> turn on **Message Content** (text and attachments);
- invite it with the scopes `bot` and `applications.commands` and the permissions View Channels,
  Send Messages, Send Messages in Threads, Create Public Threads, Attach Files, Read Message
  History and Add Reactions;
- put the token in DISCORD_BOT_TOKEN. `/movie` is registered globally on the first start (Discord
  may take a while to show it everywhere) and only re-registered when it changes.

In a server the bot listens where it is addressed: its own threads (one per movie), messages that
mention it, replies to its messages, DMs; slash commands, buttons and reactions to its messages.
"""
